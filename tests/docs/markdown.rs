//! The parts of a Markdown document the doc tests read: fenced code blocks (with the marker
//! comment that may precede one), inline code spans, and marked regions; and the rewrite of a
//! generated block.

/// A fenced code block.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    /// The info string: `sh`, `toml`, or empty for output.
    pub lang: String,
    /// The text between the fences, indentation of the opening fence removed.
    pub body: String,
    /// `ID` of an `<!-- KIND: ID -->` comment on the line before the opening fence.
    pub marker: Option<(String, String)>,
    /// Byte range of the body in the document (for rewriting it).
    pub body_range: std::ops::Range<usize>,
    /// The opening fence's indentation.
    pub indent: String,
    /// 1-based line of the opening fence.
    pub line: usize,
}

/// Every fenced block of `text`, in order.
pub(crate) fn blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut offset = 0;
    let mut previous = "";
    let mut open: Option<(Block, usize)> = None;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let trimmed = line.trim();
        match &mut open {
            None if trimmed.starts_with("```") => {
                let indent = line[..line.len() - line.trim_start().len()].to_string();
                let block = Block {
                    lang: trimmed.trim_start_matches('`').trim().to_string(),
                    body: String::new(),
                    marker: marker(previous),
                    body_range: offset + line.len()..offset + line.len(),
                    indent,
                    line: n + 1,
                };
                open = Some((block, offset + line.len()));
            }
            Some((block, start)) if trimmed == "```" => {
                block.body_range = *start..offset;
                let mut done = block.clone();
                done.body = text[*start..offset]
                    .lines()
                    .map(|l| l.strip_prefix(done.indent.as_str()).unwrap_or(l))
                    .map(|l| format!("{l}\n"))
                    .collect();
                blocks.push(done);
                open = None;
            }
            _ => {}
        }
        if !trimmed.is_empty() {
            previous = trimmed;
        }
        offset += line.len();
    }
    blocks
}

/// `(kind, id)` of a `<!-- kind: id -->` line.
fn marker(line: &str) -> Option<(String, String)> {
    let inner = line.strip_prefix("<!--")?.strip_suffix("-->")?.trim();
    let (kind, id) = inner.split_once(':')?;
    Some((kind.trim().to_string(), id.trim().to_string()))
}

/// The inline code spans of the prose (outside fenced blocks), with line breaks inside a span
/// turned into spaces.
pub(crate) fn code_spans(text: &str) -> Vec<String> {
    let mut prose = String::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            prose.push_str(line);
            prose.push('\n');
        }
    }
    let mut spans = Vec::new();
    let mut rest = prose.as_str();
    while let Some(start) = rest.find('`') {
        let ticks = rest[start..].chars().take_while(|c| *c == '`').count();
        let fence = "`".repeat(ticks);
        let after = &rest[start + ticks..];
        let Some(end) = after.find(&fence) else { break };
        let span = after[..end]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        spans.push(span);
        rest = &after[end + ticks..];
    }
    spans
}

/// The text between `<!-- begin: ID -->` and `<!-- end: ID -->`.
pub(crate) fn region<'a>(text: &'a str, id: &str) -> &'a str {
    let begin = format!("<!-- begin: {id} -->");
    let end = format!("<!-- end: {id} -->");
    let start = text.find(&begin).unwrap_or_else(|| panic!("no `{begin}`")) + begin.len();
    let stop = text[start..]
        .find(&end)
        .unwrap_or_else(|| panic!("no `{end}`"))
        + start;
    &text[start..stop]
}

/// `text` with the body of `block` replaced by `body` (indented like the block).
pub(crate) fn replace_body(text: &str, block: &Block, body: &str) -> String {
    let indented: String = body
        .lines()
        .map(|l| {
            if l.is_empty() {
                "\n".to_string()
            } else {
                format!("{}{l}\n", block.indent)
            }
        })
        .collect();
    format!(
        "{}{indented}{}",
        &text[..block.body_range.start],
        &text[block.body_range.end..]
    )
}
