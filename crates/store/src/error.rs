use zhishen_workflow::Refusal;

/// Everything the store can fail with. A [`StoreError::Refused`] is a domain
/// refusal (nothing was written); [`StoreError::BadInput`] names the bad field
/// or entity; the rest are infrastructure failures.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The workflow refused the command (不予受理的操作); nothing was written.
    #[error("{} / {} [{}]", .0.message_zh, .0.message_en, .0.code)]
    Refused(Refusal),
    /// Input that cannot be used: names what and where.
    #[error("输入无效 bad input: {0}")]
    BadInput(String),
    /// A case, definition, blob or job that does not exist.
    #[error("未找到 not found: {0}")]
    NotFound(String),
    /// The stored data contradicts itself (a bug or tampering).
    #[error("数据不一致 inconsistent store: {0}")]
    Corrupt(String),
    /// The command's outcome is unknown (the group-commit writer stopped
    /// before answering); re-send it with the same request id.
    #[error("未确认 not acknowledged: {0}")]
    Unacknowledged(String),
    #[error("数据库错误 database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("迁移错误 migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("文件错误 io: {context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("定义错误 definition: {0}")]
    Workflow(#[from] zhishen_workflow::WorkflowError),
    #[error("审计错误 audit: {0}")]
    Audit(#[from] zhishen_audit::AuditError),
    #[cfg(feature = "s3")]
    #[error("对象存储 object store: {0}")]
    ObjectStore(#[from] object_store::Error),
}

/// An id or digest handed to the store that does not validate is the caller's bad input
/// (one read back from a row is [`StoreError::Corrupt`] instead, naming the row).
impl From<zhishen_workflow::IdError> for StoreError {
    fn from(e: zhishen_workflow::IdError) -> StoreError {
        StoreError::BadInput(e.to_string())
    }
}

impl StoreError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        StoreError::Io {
            context: context.into(),
            source,
        }
    }

    /// True for a refusal or bad input (CLI exit codes 1 and 2), false for
    /// infrastructure failures.
    pub fn is_refusal(&self) -> bool {
        matches!(self, StoreError::Refused(_))
    }

    /// Transient conflicts worth retrying the whole transaction for: lock
    /// timeouts (SQLite BUSY), serialization failures and deadlocks
    /// (PostgreSQL 40001/40P01) and a racing insert of the same key (unique
    /// violation: a concurrent duplicate request or case creation; the retry
    /// sees the committed row).
    pub(crate) fn is_retryable(&self) -> bool {
        let StoreError::Db(sqlx::Error::Database(e)) = self else {
            return false;
        };
        let code = e.code();
        let code = code.as_deref().unwrap_or("");
        matches!(
            code,
            "40001" | "40P01" | "23505" | "5" | "517" | "2067" | "1555"
        ) || e.message().contains("database is locked")
    }
}
