//! The Windmill HTTP backend of the wmill SDK (in progress).
