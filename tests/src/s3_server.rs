//! An in-process S3-compatible server (in progress).
