//! What a script does without a server: state shared through the flow's shared folder, and
//! result streaming on standard output.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Error, Result};

/// Where Windmill mounts the folder that the steps of a flow share, when the flow enables its
/// shared directory.
pub const SHARED_FOLDER: &str = "/shared";

/// The file of [`get_shared_state`] / [`set_shared_state`] when no path is given.
pub const DEFAULT_SHARED_STATE_FILE: &str = "state.json";

/// The folder that the steps of a flow running on one worker share ([`SHARED_FOLDER`] by
/// default), holding JSON state files.
///
/// The module-level [`get_shared_state`] and [`set_shared_state`] use `/shared`; this type
/// lets tests and local runs point at another folder.
///
/// ```
/// use serde_json::json;
/// use wmill_core::SharedFolder;
///
/// let dir = std::env::temp_dir().join(format!("wmill-doc-shared-{}", std::process::id()));
/// let shared = SharedFolder::new(&dir);
/// assert_eq!(shared.get_state::<serde_json::Value>("progress.json")?, None);
/// shared.set_state("progress.json", &json!({"rows": 120}))?;
/// assert_eq!(shared.get_state::<serde_json::Value>("progress.json")?, Some(json!({"rows": 120})));
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok::<(), wmill_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedFolder {
    root: PathBuf,
}

impl Default for SharedFolder {
    /// The folder Windmill mounts, [`SHARED_FOLDER`].
    fn default() -> Self {
        SharedFolder::new(SHARED_FOLDER)
    }
}

impl SharedFolder {
    /// The shared folder at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        SharedFolder { root: root.into() }
    }

    /// The folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The JSON state in the file `path` (relative to the folder), `None` when the file does
    /// not exist yet.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a path that leaves the folder; [`Error::Storage`] when the
    /// file cannot be read; [`Error::Decode`] when it is not the JSON of a `T` (the error
    /// shows the keys and the kinds of the values, never the values: see
    /// [`Error::decode_secret`]).
    pub fn get_state<T: DeserializeOwned>(&self, path: &str) -> Result<Option<T>> {
        let file = self.file(path)?;
        let text = match std::fs::read(&file) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error("reading", &file, e)),
        };
        serde_json::from_slice(&text).map(Some).map_err(|e| {
            // State may hold secrets: the error shows the outline of the JSON (keys and kinds)
            // and the shape of the decoder's message, never the text.
            let request = format!("shared state {}", file.display());
            match serde_json::from_slice::<serde_json::Value>(&text) {
                Ok(value) => Error::decode_secret(request, &value, e),
                Err(_) => Error::Decode {
                    request,
                    body_excerpt: "(not shown: the file may hold secrets)".into(),
                    source: crate::error::redacted(e),
                },
            }
        })
    }

    /// Writes `value` as indented JSON to the file `path` (relative to the folder; missing
    /// parent folders are created). The write is atomic: a reader, or a step that starts
    /// after a crash, sees the old state or the new one, never a part of it.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a path that leaves the folder or a value that cannot be
    /// serialized; [`Error::Storage`] when the file cannot be written.
    pub fn set_state<T: Serialize + ?Sized>(&self, path: &str, value: &T) -> Result<()> {
        let file = self.file(path)?;
        let mut text = serde_json::to_vec_pretty(value)
            .map_err(|e| Error::unserializable("shared state", e))?;
        text.push(b'\n');
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io_error("creating", parent, e))?;
        }
        write_atomic(&file, &text).map_err(|e| io_error("writing", &file, e))
    }

    /// `root/path`, with `path` checked: relative, no `.` / `..` / empty segments, no
    /// backslash or control character.
    fn file(&self, path: &str) -> Result<PathBuf> {
        let bad = |reason: &str| {
            Err(Error::invalid(
                "shared state path",
                format!("{path:?} {reason}"),
            ))
        };
        if path.is_empty() {
            return bad("is empty");
        }
        if path.starts_with('/') {
            return bad("is absolute (it is relative to the shared folder)");
        }
        if path.chars().any(|c| c.is_control() || c == '\\') {
            return bad("contains a control character or a backslash");
        }
        if path
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
        {
            return bad("has an empty, '.' or '..' segment (it must stay in the shared folder)");
        }
        Ok(self.root.join(path))
    }
}

/// The JSON state that an earlier step of the flow left in the shared folder (`/shared`),
/// `None` when there is none. `path` defaults to [`DEFAULT_SHARED_STATE_FILE`].
/// Python: `wmill.get_shared_state(path="state.json")`.
///
/// # Errors
/// As [`SharedFolder::get_state`].
pub fn get_shared_state(path: Option<&str>) -> Result<Option<serde_json::Value>> {
    SharedFolder::default().get_state(path.unwrap_or(DEFAULT_SHARED_STATE_FILE))
}

/// Leaves `value` as JSON in the shared folder (`/shared`) for the next steps of the flow.
/// `path` defaults to [`DEFAULT_SHARED_STATE_FILE`].
/// Python: `wmill.set_shared_state(value, path="state.json")`.
///
/// # Errors
/// As [`SharedFolder::set_state`].
pub fn set_shared_state<T: Serialize + ?Sized>(value: &T, path: Option<&str>) -> Result<()> {
    SharedFolder::default().set_state(path.unwrap_or(DEFAULT_SHARED_STATE_FILE), value)
}

/// Appends `text` to the job's result stream: the worker reads the line
/// `WM_STREAM: <text>` from the job's standard output (newlines in `text` are sent as `\n`),
/// and readers of the job see it while it runs. Python: `wmill.append_to_result_stream(text)`.
///
/// # Errors
/// [`Error::Storage`] when standard output cannot be written.
pub fn append_to_result_stream(text: &str) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    write_result_stream(&mut out, text)
        .map_err(|e| io_error("writing the result stream to", Path::new("stdout"), e))
}

/// Appends every item to the job's result stream, in order; see [`append_to_result_stream`].
/// Python: `wmill.stream_result(iterable)`.
///
/// # Errors
/// As [`append_to_result_stream`]; the items after a failure are not written.
pub fn stream_result<I>(items: I) -> Result<()>
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    for item in items {
        append_to_result_stream(item.as_ref())?;
    }
    Ok(())
}

/// Writes one result-stream line, `WM_STREAM: <text>\n` with the newlines of `text` escaped,
/// and flushes it (the worker sees it at once).
///
/// ```
/// let mut out = Vec::new();
/// wmill_core::write_result_stream(&mut out, "line 1\nline 2")?;
/// assert_eq!(out, b"WM_STREAM: line 1\\nline 2\n");
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
/// The writer's.
pub fn write_result_stream(out: &mut impl Write, text: &str) -> std::io::Result<()> {
    out.write_all(b"WM_STREAM: ")?;
    let mut lines = text.split('\n');
    if let Some(first) = lines.next() {
        out.write_all(first.as_bytes())?;
    }
    for line in lines {
        out.write_all(b"\\n")?;
        out.write_all(line.as_bytes())?;
    }
    out.write_all(b"\n")?;
    out.flush()
}

fn io_error(doing: &str, path: &Path, e: std::io::Error) -> Error {
    Error::Storage {
        operation: format!("{doing} {}", path.display()),
        source: Box::new(e),
    }
}

/// Writes `bytes` to `path` atomically: into a new temporary file of the same folder, synced,
/// then renamed over `path`.
///
/// - The temporary file is created exclusively (never an existing file, never through a link
///   planted at its name) under a name that cannot be guessed (process id, a counter and 128
///   random bits), and it is removed whatever step fails.
/// - The file written has the permissions of the file it replaces (a file of secrets is often
///   readable by its owner only); a new file is readable and writable by its owner only
///   (0600 on Unix, whatever the umask).
/// - A symbolic link is written through: its target is replaced, the link stays.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let resolved = std::fs::canonicalize(path).ok();
    let path = resolved.as_deref().unwrap_or(path);
    let permissions = std::fs::metadata(path)
        .ok()
        .filter(std::fs::Metadata::is_file)
        .map(|m| m.permissions());
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    // Room for the suffix within the 255 bytes most file systems allow.
    let mut cut = name.len().min(120);
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    name.truncate(cut);

    let (tmp, file) = create_temp(&dir, &name, unique_suffix)?;
    let result = fill(file, permissions, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// How many names [`create_temp`] tries before giving up.
const TEMP_NAME_ATTEMPTS: usize = 16;

/// Creates `dir/.<name>.<suffix>.tmp`, exclusively (an existing file or link at that name is
/// left alone and another suffix tried) and readable by its owner only.
fn create_temp(
    dir: &Path,
    name: &str,
    mut suffix: impl FnMut() -> String,
) -> std::io::Result<(PathBuf, std::fs::File)> {
    for _ in 0..TEMP_NAME_ATTEMPTS {
        let tmp = dir.join(format!(".{name}.{}.tmp", suffix()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&tmp) {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        format!("no free temporary file name after {TEMP_NAME_ATTEMPTS} attempts"),
    ))
}

/// A temporary file suffix no other writer uses or can guess: the process id, a counter and a
/// random UUID.
fn unique_suffix() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}.{}.{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        crate::ids::random_uuid().simple()
    )
}

/// Gives `file` its permissions (those of the file it replaces, or owner-only), writes `bytes`,
/// syncs and closes it.
fn fill(
    mut file: std::fs::File,
    permissions: Option<std::fs::Permissions>,
    bytes: &[u8],
) -> std::io::Result<()> {
    match permissions {
        Some(permissions) => file.set_permissions(permissions)?,
        // Exact whatever the umask (the file was created 0600, which the umask may only narrow).
        #[cfg(unix)]
        None => file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?,
        #[cfg(not(unix))]
        None => {}
    }
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests;
