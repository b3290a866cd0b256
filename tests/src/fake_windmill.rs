//! A stateful fake Windmill HTTP server (in progress).
