//! Our own faults: the cause of an internal error is kept whole, sources included, until the one
//! place of each surface that logs it; the client only hears that something failed.

use std::error::Error;
use std::fmt;

/// What went wrong inside the gateway, kept as the error itself (not its text).
pub(crate) type Cause = Box<dyn Error + Send + Sync + 'static>;

/// `error: source: source …`, for the log line.
pub(crate) fn chain<'a>(error: &'a (dyn Error + 'static)) -> impl fmt::Display + 'a {
    Chain(error)
}

struct Chain<'a>(&'a (dyn Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut said = self.0.to_string();
        f.write_str(&said)?;
        let mut next = self.0.source();
        while let Some(source) = next {
            // thiserror's `transparent` and "{0}" messages repeat their source: say it once.
            let text = source.to_string();
            if !said.ends_with(&text) {
                write!(f, ": {text}")?;
            }
            said = text;
            next = source.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("could not load the connection")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn the_chain_names_every_cause_once() {
        let io = std::io::Error::other("connection refused");
        let cause: Cause = Box::new(Outer(io));
        assert_eq!(
            chain(&*cause).to_string(),
            "could not load the connection: connection refused"
        );
        let plain: Cause = "a gated call without a user".into();
        assert_eq!(chain(&*plain).to_string(), "a gated call without a user");
    }
}
