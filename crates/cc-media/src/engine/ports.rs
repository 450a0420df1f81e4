//! The port allocator: even RTP ports (RTCP on the next odd port) from a configured range.
//!
//! Free ports are handed out oldest-freed first, so a port that was just released is the
//! last to be reused: late packets of an ended call are unlikely to reach a new one.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex};

use super::events::lock;
use crate::error::{Error, Result};

/// The free even ports of a range.
#[derive(Debug)]
pub(crate) struct PortPool {
    free: Mutex<VecDeque<u16>>,
    min: u16,
    max: u16,
}

impl PortPool {
    /// Every even port `p` of `min..=max` with `p + 1 <= max`. Fails when there is none.
    pub(crate) fn new(min: u16, max: u16) -> Result<Arc<Self>> {
        let first = min + (min % 2);
        let free: VecDeque<u16> = (u32::from(first)..u32::from(max))
            .step_by(2)
            .filter_map(|p| u16::try_from(p).ok())
            .filter(|&p| p != 0)
            .collect();
        if free.is_empty() {
            return Err(Error::InvalidSetting {
                name: "RTP port range",
                value: format!("{min}-{max}"),
                expected: "a range holding at least one even port and the odd port after it, e.g. 20000-29999",
            });
        }
        Ok(Arc::new(Self {
            free: Mutex::new(free),
            min,
            max,
        }))
    }

    /// How many RTP ports are free now.
    pub(crate) fn available(&self) -> usize {
        lock(&self.free).len()
    }

    /// Binds the RTP and RTCP sockets of the next free port pair on `ip`. A pair another
    /// program holds is skipped (and kept in the pool for later). Fails with
    /// [`Error::PortsExhausted`] when no pair could be bound.
    pub(crate) fn bind(self: &Arc<Self>, ip: IpAddr) -> Result<(UdpSocket, UdpSocket, PortLease)> {
        let tries = self.available();
        let mut busy = Vec::new();
        let mut result = None;
        for _ in 0..tries {
            let Some(port) = lock(&self.free).pop_front() else {
                break;
            };
            let rtp = UdpSocket::bind(SocketAddr::new(ip, port));
            let rtcp = UdpSocket::bind(SocketAddr::new(ip, port + 1));
            match (rtp, rtcp) {
                (Ok(rtp), Ok(rtcp)) => {
                    result = Some((
                        rtp,
                        rtcp,
                        PortLease {
                            pool: Arc::clone(self),
                            port,
                        },
                    ));
                    break;
                }
                _ => busy.push(port),
            }
        }
        lock(&self.free).extend(busy);
        result.ok_or(Error::PortsExhausted {
            min: self.min,
            max: self.max,
        })
    }
}

/// An RTP port taken from the pool; dropping it gives the port back. Owners drop their
/// sockets before the lease (field order), so the port is closed when it is reused.
#[derive(Debug)]
pub(crate) struct PortLease {
    pool: Arc<PortPool>,
    port: u16,
}

impl Drop for PortLease {
    fn drop(&mut self) {
        lock(&self.pool.free).push_back(self.port);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    #[test]
    fn the_range_holds_even_ports_with_their_odd_neighbour() {
        let pool = PortPool::new(40_001, 40_006).unwrap_or_else(|e| panic!("{e}"));
        // 40002 (+40003) and 40004 (+40005); 40006 has no 40007 in range.
        assert_eq!(pool.available(), 2);
        assert!(PortPool::new(40_001, 40_002).is_err());
    }

    #[test]
    fn exhaustion_is_a_typed_error_and_released_ports_come_back() {
        // Find a free pair of pairs by letting the OS pick a base, then use that range.
        let probe = UdpSocket::bind((LOCAL, 0)).unwrap_or_else(|e| panic!("{e}"));
        let base = probe.local_addr().map_or(41_000, |a| a.port()) & !1;
        drop(probe);
        let pool = PortPool::new(base, base + 1).unwrap_or_else(|e| panic!("{e}"));
        let Ok((a, _, lease)) = pool.bind(LOCAL) else {
            return; // another program took the port between the probe and now
        };
        assert_eq!(a.local_addr().map(|x| x.port() % 2).ok(), Some(0));
        assert!(matches!(pool.bind(LOCAL), Err(Error::PortsExhausted { .. })));
        drop(a);
        drop(lease);
        assert_eq!(pool.available(), 1);
    }
}
