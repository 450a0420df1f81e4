//! Tokens of the flow language (a `logos` lexer).
//!
//! Newlines are tokens: they end statements. `#` starts a comment to the end of the line.
//! Everything else is free-form spacing.

use logos::Logos;

use crate::diagnostic::{Diagnostic, Span};

/// One token.
#[derive(Logos, Debug, Clone, PartialEq)]
#[logos(skip r"[ \t\r\f]+")]
#[logos(skip(r"#[^\n]*", allow_greedy = true))]
pub(crate) enum Token {
    /// End of a line.
    #[token("\n")]
    Newline,
    /// `{`
    #[token("{")]
    LBrace,
    /// `}`
    #[token("}")]
    RBrace,
    /// `(`
    #[token("(")]
    LParen,
    /// `)`
    #[token(")")]
    RParen,
    /// `,`
    #[token(",")]
    Comma,
    /// `;`
    #[token(";")]
    Semi,
    /// `:`
    #[token(":")]
    Colon,
    /// `->`
    #[token("->")]
    Arrow,
    /// `=`
    #[token("=")]
    Assign,
    /// `==`
    #[token("==")]
    Eq,
    /// `!=`
    #[token("!=")]
    Ne,
    /// `<`
    #[token("<")]
    Lt,
    /// `<=`
    #[token("<=")]
    Le,
    /// `>`
    #[token(">")]
    Gt,
    /// `>=`
    #[token(">=")]
    Ge,
    /// `+`
    #[token("+")]
    Plus,
    /// `-`
    #[token("-")]
    Minus,
    /// A duration: digits and a unit (`500ms`, `5s`, `2m`, `1h`), in milliseconds.
    #[regex(r"[0-9]+(ms|s|m|h)", duration_ms)]
    Duration(u64),
    /// A whole number.
    #[regex(r"[0-9]+", |lex| lex.slice().parse::<i64>().ok())]
    Number(i64),
    /// A string in double quotes, with `\"`, `\\`, `\n` and `\t` escapes, unescaped.
    #[regex(r#""([^"\\\n]|\\.)*""#, unescape)]
    Str(String),
    /// A name: a letter or `_`, then letters, digits or `_`. Keywords are names too; the
    /// parser decides by position.
    #[regex(r"[A-Za-z_][A-Za-z0-9_]*", |lex| lex.slice().to_owned())]
    Ident(String),
}

fn duration_ms(lex: &mut logos::Lexer<'_, Token>) -> Option<u64> {
    let text = lex.slice();
    let digits_end = text.find(|c: char| !c.is_ascii_digit())?;
    let value: u64 = text[..digits_end].parse().ok()?;
    let unit = match &text[digits_end..] {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return None,
    };
    value.checked_mul(unit)
}

fn unescape(lex: &mut logos::Lexer<'_, Token>) -> Option<String> {
    let text = lex.slice();
    let inner = &text[1..text.len() - 1];
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '"' => out.push('"'),
            '\\' => out.push('\\'),
            'n' => out.push('\n'),
            't' => out.push('\t'),
            _ => return None,
        }
    }
    Some(out)
}

/// A token with its place.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Spanned {
    /// The token.
    pub(crate) token: Token,
    /// Where it is.
    pub(crate) span: Span,
}

/// Splits `source` into tokens. Bad input becomes a diagnostic and is skipped, so the
/// parser still sees the rest.
pub(crate) fn tokenize(source: &str) -> (Vec<Spanned>, Vec<Diagnostic>) {
    let mut tokens = Vec::new();
    let mut errors: Vec<Diagnostic> = Vec::new();
    let mut lexer = Token::lexer(source);
    while let Some(result) = lexer.next() {
        let range = lexer.span();
        let span = Span::new(range.start, range.end);
        match result {
            Ok(token) => tokens.push(Spanned { token, span }),
            Err(()) => match errors.last_mut() {
                // One message for a run of bad characters, not one per character.
                Some(last) if last.span.end == span.start && !lexer.slice().starts_with('"') => {
                    last.span = last.span.to(span);
                }
                _ => errors.push(Diagnostic::error(span, lex_error(lexer.slice()))),
            },
        }
    }
    (tokens, errors)
}

fn lex_error(slice: &str) -> String {
    if slice.starts_with('"') {
        if slice.contains('\\') {
            return "bad escape in string: only \\\" \\\\ \\n and \\t are allowed".to_owned();
        }
        return "string is not closed before the end of the line; add the closing \"".to_owned();
    }
    if slice.starts_with(|c: char| c.is_ascii_digit()) {
        return format!("`{slice}` is not a number or duration (e.g. 5, 500ms, 5s, 2m, 1h) that fits");
    }
    match slice.chars().next() {
        Some(c) if !c.is_ascii() => {
            format!("unexpected character {c:?}: names are ASCII; put Chinese and other text in \"quotes\"")
        }
        Some(c) => format!("unexpected character {c:?}"),
        None => "unexpected end of input".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<Token> {
        let (tokens, errors) = tokenize(source);
        assert!(errors.is_empty(), "{errors:?}");
        tokens.into_iter().map(|t| t.token).collect()
    }

    #[test]
    fn lexes_statements_durations_strings_and_comments() {
        assert_eq!(
            kinds("play \"欢迎\\\"x\\\"\" barge # 注释\ncollect acct timeout 5s inter 500ms retries 2\n"),
            vec![
                Token::Ident("play".into()),
                Token::Str("欢迎\"x\"".into()),
                Token::Ident("barge".into()),
                Token::Newline,
                Token::Ident("collect".into()),
                Token::Ident("acct".into()),
                Token::Ident("timeout".into()),
                Token::Duration(5_000),
                Token::Ident("inter".into()),
                Token::Duration(500),
                Token::Ident("retries".into()),
                Token::Number(2),
                Token::Newline,
            ]
        );
        assert_eq!(
            kinds("a>=1 -> b!=c"),
            vec![
                Token::Ident("a".into()),
                Token::Ge,
                Token::Number(1),
                Token::Arrow,
                Token::Ident("b".into()),
                Token::Ne,
                Token::Ident("c".into()),
            ]
        );
    }

    #[test]
    fn bad_input_is_reported_and_skipped() {
        let (tokens, errors) = tokenize("play \"open\nset x = 1 @ 2\n欢迎\n99999999999999999999999");
        assert!(tokens.iter().any(|t| t.token == Token::Ident("set".into())));
        let messages: Vec<_> = errors.iter().map(|e| e.message.as_str()).collect();
        assert!(messages.iter().any(|m| m.contains("not closed")), "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("'@'")), "{messages:?}");
        assert!(
            messages.iter().any(|m| m.contains("names are ASCII")),
            "{messages:?}"
        );
        assert!(
            messages.iter().any(|m| m.contains("not a number")),
            "{messages:?}"
        );
    }
}
