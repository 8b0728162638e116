//! A response body sent as it is held: its parts in order, none copied into one buffer, with
//! its exact length (so `Content-Length`, and hyper writes the parts with one `writev`).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Bytes, HttpBody};
use http_body::{Frame, SizeHint};

pub(crate) struct Segments(VecDeque<Bytes>);

impl Segments {
    pub(crate) fn new(parts: impl IntoIterator<Item = Bytes>) -> Self {
        Self(parts.into_iter().filter(|p| !p.is_empty()).collect())
    }
}

impl HttpBody for Segments {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(
            self.get_mut()
                .0
                .pop_front()
                .map(|part| Ok(Frame::data(part))),
        )
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.0.iter().map(|p| p.len() as u64).sum())
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;

    use super::*;

    #[tokio::test]
    async fn the_parts_come_whole_in_order_with_their_exact_length() {
        let body = Segments::new([b"ab".as_slice(), b"", b"cde"].map(Bytes::from_static));
        assert_eq!(body.size_hint().exact(), Some(5));
        assert!(!body.is_end_stream());
        let whole = axum::body::to_bytes(Body::new(body), usize::MAX).await;
        assert_eq!(whole.unwrap(), "abcde");
        assert!(Segments::new([]).is_end_stream());
    }
}
