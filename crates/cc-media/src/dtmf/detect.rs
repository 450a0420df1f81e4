//! In-band DTMF detection (placeholder filled in the next commit).

/// Settings of the detector.
#[derive(Debug, Clone, Copy)]
pub struct DetectorConfig;
/// The detector.
#[derive(Debug)]
pub struct DtmfDetector;
/// A detection.
#[derive(Debug)]
pub struct ToneDetection;
