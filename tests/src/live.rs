//! A live-stream client for tests and benchmarks: a WebSocket to `GET /api/v1/live`, read as
//! [`LiveMessage`]s.

use std::time::Duration;

use futures_util::StreamExt;
use phananh_shared::api::LiveMessage;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::TestServer;

/// An open live stream.
pub struct LiveClient {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// What a refused connection answered: its status and JSON body; status 0 when nothing
/// answered (no server listening, or the connection broke before the answer).
#[derive(Debug)]
pub struct Refused {
    pub status: u16,
    pub body: serde_json::Value,
}

impl Refused {
    fn unanswered(error: &dyn std::fmt::Display) -> Refused {
        Refused { status: 0, body: serde_json::json!({ "error": { "message": error.to_string() } }) }
    }
}

impl LiveClient {
    /// Opens `scope` after `since` (a sequence number, or `latest`), with `token` (staff or
    /// device) as a bearer header.
    pub async fn connect(
        base: &str,
        scope: &str,
        since: impl std::fmt::Display,
        token: Option<&str>,
    ) -> Result<LiveClient, Refused> {
        LiveClient::connect_with(base, scope, since, token, None).await
    }

    /// As [`LiveClient::connect`], with the socket's receive buffer set to `receive_buffer`
    /// bytes: a client on a slow link, whose unread messages soon fill the way back.
    pub async fn connect_with(
        base: &str,
        scope: &str,
        since: impl std::fmt::Display,
        token: Option<&str>,
        receive_buffer: Option<u32>,
    ) -> Result<LiveClient, Refused> {
        let url = format!("{}/api/v1/live?scope={scope}&since={since}", base.replacen("http", "ws", 1));
        let mut request = url.into_client_request().expect("a valid URL");
        if let Some(token) = token {
            let value = format!("Bearer {token}").parse().expect("a header value");
            request.headers_mut().insert("authorization", value);
        }
        let address = base.trim_start_matches("http://").trim_end_matches('/');
        let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
        if let Some(size) = receive_buffer {
            socket.set_recv_buffer_size(size).expect("a receive buffer size");
        }
        let stream = match socket.connect(address.parse().expect("host:port")).await {
            Ok(stream) => stream,
            Err(error) => return Err(Refused::unanswered(&error)),
        };
        // Small buffers: the library's default read buffer (128 KiB, zeroed on every read)
        // would make ten thousand clients in one process measure themselves, not the server.
        let config = WebSocketConfig::default().read_buffer_size(4096).write_buffer_size(0);
        match tokio_tungstenite::client_async_with_config(
            request,
            MaybeTlsStream::Plain(stream),
            Some(config),
        )
        .await
        {
            Ok((socket, _)) => Ok(LiveClient { socket }),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                let body = response.body().as_deref().unwrap_or_default();
                Err(Refused {
                    status: response.status().as_u16(),
                    body: serde_json::from_slice(body).unwrap_or_default(),
                })
            }
            Err(error) => Err(Refused::unanswered(&error)),
        }
    }

    /// As [`LiveClient::connect`], on a test server.
    pub async fn open(
        server: &TestServer,
        scope: &str,
        since: impl std::fmt::Display,
        token: Option<&str>,
    ) -> LiveClient {
        match LiveClient::connect(&server.url(""), scope, since, token).await {
            Ok(client) => client,
            Err(refused) => panic!("the live stream refused {scope}: {refused:?}"),
        }
    }

    /// The next message, or `None` if the server closed the stream or `wait` passed first.
    pub async fn next_within(&mut self, wait: Duration) -> Option<LiveMessage> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.socket.next()).await.ok()??;
            match frame {
                Ok(Message::Text(text)) => {
                    return Some(serde_json::from_str(&text).expect("a live message is JSON"));
                }
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    /// The messages until the server closes the stream, and the close frame's code (`None`
    /// for a close without a frame, or a broken connection). Panics if it is still open after
    /// `wait`.
    pub async fn until_closed(&mut self, wait: Duration) -> (Vec<LiveMessage>, Option<u16>) {
        let deadline = tokio::time::Instant::now() + wait;
        let mut messages = Vec::new();
        loop {
            let frame = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .unwrap_or_else(|_| panic!("the stream is still open after {wait:?}; it sent {messages:?}"));
            match frame {
                Some(Ok(Message::Text(text))) => {
                    messages.push(serde_json::from_str(&text).expect("a live message is JSON"))
                }
                Some(Ok(Message::Close(frame))) => return (messages, frame.map(|f| u16::from(f.code))),
                None | Some(Err(_)) => return (messages, None),
                Some(Ok(_)) => {}
            }
        }
    }

    /// The sequence number of the next event, skipping other messages; `None` if the stream
    /// ends. Reads only `type` and `seq`: a cheap client, for benchmarks that time the server.
    pub async fn next_event_seq(&mut self) -> Option<u64> {
        #[derive(serde::Deserialize)]
        struct Head<'a> {
            #[serde(rename = "type")]
            kind: &'a str,
            seq: u64,
        }
        loop {
            if let Message::Text(text) = self.socket.next().await?.ok()? {
                let head: Head = serde_json::from_str(&text).expect("a live message");
                if head.kind == "event" {
                    return Some(head.seq);
                }
            }
        }
    }

    /// The next message, which must come within 10 s.
    pub async fn next(&mut self) -> LiveMessage {
        self.next_within(Duration::from_secs(10)).await.expect("a live message within 10 s")
    }

    /// Reads until the `caught_up` message; the reports' events before it (a dossier's are
    /// read by [`LiveClient::next`]).
    pub async fn until_caught_up(&mut self) -> (Vec<phananh_shared::api::Event>, u64) {
        let mut events = Vec::new();
        loop {
            match self.next().await {
                LiveMessage::Event(event) => events.push(event),
                LiveMessage::Dossier(_) => {}
                LiveMessage::CaughtUp { seq } => return (events, seq),
                LiveMessage::Resume { seq } => panic!("told to resume at {seq} while catching up"),
            }
        }
    }

    /// Closes the stream politely.
    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}
