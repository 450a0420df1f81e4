//! Property tests: random operation sequences with time advances.
