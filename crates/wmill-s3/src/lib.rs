//! Windmill workspace S3 files for the wmill SDK (in progress).
