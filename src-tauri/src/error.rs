//! What a command answers when it cannot do what was asked: one shape, the server's own
//! (`code`, `message`, `field`), so the app shows a desktop refusal as it shows the server's.

use phananh_shared::client::ClientError;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct CommandError {
    pub code: String,
    pub message: String,
    pub field: Option<String>,
}

impl CommandError {
    pub fn new(code: &str, message: impl Into<String>) -> CommandError {
        CommandError { code: code.into(), message: message.into(), field: None }
    }

    pub fn field(field: &str, message: impl Into<String>) -> CommandError {
        CommandError { code: "invalid".into(), message: message.into(), field: Some(field.into()) }
    }

    /// Before the resident has been through the first-run screen.
    pub fn not_started() -> CommandError {
        CommandError::new("not_started", "the app has not been set up yet")
    }
}

impl From<ClientError> for CommandError {
    fn from(error: ClientError) -> CommandError {
        match error {
            ClientError::Invalid(e) => {
                CommandError { code: e.code.to_string(), message: e.message, field: Some(e.field) }
            }
            ClientError::Offline(e) => CommandError::new("offline", format!("cannot reach the server: {e}")),
            ClientError::Server { status, body } => {
                let refusal = phananh_shared::client::refusal(&body);
                let code = if status >= 500 { "server".to_owned() } else { refusal.code };
                CommandError { code, message: refusal.message, field: refusal.field }
            }
            ClientError::Database(_) | ClientError::Corrupt(_) => {
                tracing::error!(%error, "device database");
                CommandError::new("device_storage", error.to_string())
            }
        }
    }
}

impl From<std::io::Error> for CommandError {
    fn from(error: std::io::Error) -> CommandError {
        CommandError::new("device_storage", error.to_string())
    }
}
