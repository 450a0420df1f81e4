//! Fuzzes the RTCP compound-packet parser; reports that parse are written back and must
//! read back the same.
//!
//! Run with `cargo +nightly fuzz run rtcp` in this folder. The input is one datagram.
#![no_main]

use cc_media::rtcp::{Bye, Compound, ReceiverReport, RtcpPacket, SenderReport};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut out = vec![0_u8; 2048];
    for packet in Compound::new(data) {
        match packet {
            Ok(RtcpPacket::Sr(sr)) => {
                let blocks: Vec<_> = sr.blocks.iter().collect();
                let len = SenderReport::write(&sr.info, &blocks, &mut out).expect("fits");
                let Some(Ok(RtcpPacket::Sr(again))) = Compound::new(&out[..len]).next() else {
                    panic!("a written SR reads back");
                };
                assert_eq!(again.info, sr.info);
                assert_eq!(again.blocks.iter().collect::<Vec<_>>(), blocks);
            }
            Ok(RtcpPacket::Rr(rr)) => {
                let blocks: Vec<_> = rr.blocks.iter().collect();
                let len = ReceiverReport::write(rr.ssrc, &blocks, &mut out).expect("fits");
                let Some(Ok(RtcpPacket::Rr(again))) = Compound::new(&out[..len]).next() else {
                    panic!("a written RR reads back");
                };
                assert_eq!(again.blocks.iter().collect::<Vec<_>>(), blocks);
            }
            Ok(RtcpPacket::Sdes(sdes)) => {
                for chunk in sdes.chunks() {
                    let _ = (chunk.cname(), chunk.items.iter().count());
                }
            }
            Ok(RtcpPacket::Bye(bye)) => {
                let sources: Vec<_> = bye.sources().collect();
                if let Ok(len) = Bye::write(&sources, bye.reason_str(), &mut out) {
                    let Some(Ok(RtcpPacket::Bye(again))) = Compound::new(&out[..len]).next() else {
                        panic!("a written BYE reads back");
                    };
                    assert_eq!(again.sources().collect::<Vec<_>>(), sources);
                }
            }
            Ok(RtcpPacket::Other { .. }) | Err(_) => {}
        }
    }
});
