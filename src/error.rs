//! The library's one error type. Every message names the file, field or argument at fault and
//! what is allowed, so a user can fix the input without reading the code.

use std::path::PathBuf;

/// Result alias used across the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the library. Physics blow-ups are *not* errors: they end the
/// episode with `truncated = true` and are counted (see `env::StepInfo`).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration value is out of its allowed range or inconsistent with another.
    #[error("config field `{field}`: {msg}")]
    Config {
        /// Dotted path of the field, e.g. `tasks.dynamics.mass_scale`.
        field: String,
        /// What is wrong and what is allowed.
        msg: String,
    },
    /// A configuration file could not be parsed (syntax, unknown or mistyped field).
    #[error("config {source_name}: {msg}")]
    ConfigParse {
        /// File path, or a description such as `--set` or `embedded default`.
        source_name: String,
        /// The parser's message (it names the field and position).
        msg: String,
    },
    /// A robot description (URDF) is missing, malformed, or describes something unsupported.
    #[error("robot description {file}: {msg}")]
    Asset {
        /// File name (or `embedded:<name>` for the built-in robots).
        file: String,
        /// What is wrong, naming the element/attribute.
        msg: String,
    },
    /// An action passed to `Env::step` is malformed (wrong length, NaN).
    #[error("action: {0}")]
    Action(String),
    /// An argument to a library call is invalid (e.g. zero environments).
    #[error("invalid argument `{name}`: {msg}")]
    Argument {
        /// Argument name.
        name: String,
        /// What is wrong and what is allowed.
        msg: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A tensor operation failed (shapes, dtypes) — a bug or a corrupt checkpoint.
    #[error("tensor: {0}")]
    Tensor(#[from] candle_core::Error),
    /// A checkpoint or run directory is missing, incomplete or does not fit the config.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    /// The env checker found problems (`drat check`).
    #[error("env checker: {0}")]
    Check(String),
    /// Training diverged (non-finite loss); the last good checkpoint is kept.
    #[error("training diverged: {0}")]
    Diverged(String),
    /// A worker thread of a `VecEnv` stopped unexpectedly.
    #[error("vec env worker: {0}")]
    Worker(String),
}

impl Error {
    /// Shorthand for [`Error::Config`].
    pub fn config(field: impl Into<String>, msg: impl Into<String>) -> Self {
        Error::Config {
            field: field.into(),
            msg: msg.into(),
        }
    }

    /// Shorthand for [`Error::Asset`].
    pub fn asset(file: impl Into<String>, msg: impl Into<String>) -> Self {
        Error::Asset {
            file: file.into(),
            msg: msg.into(),
        }
    }

    /// Shorthand for [`Error::Argument`].
    pub fn argument(name: impl Into<String>, msg: impl Into<String>) -> Self {
        Error::Argument {
            name: name.into(),
            msg: msg.into(),
        }
    }

    /// Shorthand for [`Error::Io`].
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
