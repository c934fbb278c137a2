//! Words with boxes -> token windows for the model, and token logits -> one label per word.
//!
//! Each word is tokenised on its own (so every sub-token knows its word and carries the
//! word's box); a word's label is read at its first sub-token. Long documents are cut into
//! overlapping windows; each word keeps the prediction from the window where it sits most
//! centrally, where the model saw the most context on both sides.

use std::path::Path;

use tokenizers::Tokenizer;

use super::ExtractError;

/// At most this many sub-tokens per word: a 200-character garbage string must not eat a window.
const MAX_PIECES_PER_WORD: usize = 12;

/// The model's view of one word: text and box scaled to 0..=1000 of its page.
#[derive(Debug, Clone, PartialEq)]
pub struct WordInput {
    pub text: String,
    pub bbox: [i64; 4],
}

/// A batch of windows ready for [`super::model::Model::run`].
#[derive(Debug, Clone)]
pub struct Batch {
    pub input_ids: Vec<i64>,
    pub attention_mask: Vec<i64>,
    pub bbox: Vec<i64>,
    pub batch: usize,
    pub seq: usize,
    /// For each word: (window, position) of the token its label is read from.
    pub word_token: Vec<Option<(usize, usize)>>,
}

pub struct Encoder {
    tokenizer: Tokenizer,
    cls: i64,
    sep: i64,
    pad: i64,
}

impl Encoder {
    pub fn load(path: &Path) -> Result<Encoder, ExtractError> {
        let mut tokenizer = Tokenizer::from_file(path)
            .map_err(|e| ExtractError::Setup(format!("loading {}: {e}", path.display())))?;
        // The shipped tokenizer.json may pad/truncate to a fixed length: we window ourselves.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(None)
            .map_err(|e| ExtractError::Setup(format!("tokenizer truncation: {e}")))?;
        let id = |t: &str| {
            tokenizer
                .token_to_id(t)
                .map(i64::from)
                .ok_or_else(|| ExtractError::Setup(format!("the tokenizer has no {t} token")))
        };
        Ok(Encoder {
            cls: id("[CLS]")?,
            sep: id("[SEP]")?,
            pad: id("[PAD]")?,
            tokenizer,
        })
    }

    /// Tokenise `words` into windows of at most `max_len` tokens overlapping by `stride`.
    pub fn encode(
        &self,
        words: &[WordInput],
        max_len: usize,
        stride: usize,
    ) -> Result<Batch, ExtractError> {
        let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        let encodings = self
            .tokenizer
            .encode_batch(texts, false)
            .map_err(|e| ExtractError::Inference(format!("tokenising: {e}")))?;
        // Flat token stream: (id, word index, first piece of its word?).
        let mut toks: Vec<(i64, usize, bool)> = Vec::new();
        for (wi, enc) in encodings.iter().enumerate() {
            let ids = enc.get_ids();
            let ids: &[u32] = if ids.is_empty() {
                &[]
            } else {
                &ids[..ids.len().min(MAX_PIECES_PER_WORD)]
            };
            if ids.is_empty() {
                // A word the vocabulary cannot spell at all (e.g. only control characters).
                if let Some(unk) = self.tokenizer.token_to_id("[UNK]") {
                    toks.push((i64::from(unk), wi, true));
                }
                continue;
            }
            for (k, id) in ids.iter().enumerate() {
                toks.push((i64::from(*id), wi, k == 0));
            }
        }
        let cap = max_len.saturating_sub(2).max(8);
        let step = cap.saturating_sub(stride).max(1);
        let mut starts = vec![0usize];
        while starts.last().is_some_and(|s| s + cap < toks.len()) {
            let next = starts.last().map(|s| s + step).unwrap_or(0);
            starts.push(next);
        }
        let n_windows = starts.len();
        let seq = toks.len().min(cap) + 2;
        let mut input_ids = vec![self.pad; n_windows * seq];
        let mut attention_mask = vec![0i64; n_windows * seq];
        let mut bbox = vec![0i64; n_windows * seq * 4];
        let mut word_token: Vec<Option<(usize, usize)>> = vec![None; words.len()];
        let mut word_centrality: Vec<usize> = vec![0; words.len()];
        for (w, &start) in starts.iter().enumerate() {
            let end = (start + cap).min(toks.len());
            let base = w * seq;
            input_ids[base] = self.cls;
            attention_mask[base] = 1;
            for (k, &(id, wi, first)) in toks[start..end].iter().enumerate() {
                let pos = k + 1;
                input_ids[base + pos] = id;
                attention_mask[base + pos] = 1;
                if let Some(word) = words.get(wi) {
                    bbox[(base + pos) * 4..(base + pos) * 4 + 4].copy_from_slice(&word.bbox);
                }
                if first {
                    let centrality = (k + 1).min(end - start - k);
                    if word_token[wi].is_none() || centrality > word_centrality[wi] {
                        word_token[wi] = Some((w, pos));
                        word_centrality[wi] = centrality;
                    }
                }
            }
            let sep_pos = end - start + 1;
            input_ids[base + sep_pos] = self.sep;
            attention_mask[base + sep_pos] = 1;
            bbox[(base + sep_pos) * 4..(base + sep_pos) * 4 + 4]
                .copy_from_slice(&[1000, 1000, 1000, 1000]);
        }
        Ok(Batch {
            input_ids,
            attention_mask,
            bbox,
            batch: n_windows,
            seq,
            word_token,
        })
    }
}

/// For each word: (best label index, its probability), from the logits of its token.
pub fn word_labels(batch: &Batch, logits: &[f32], n_labels: usize) -> Vec<(usize, f32)> {
    batch
        .word_token
        .iter()
        .map(|wt| {
            let Some((w, pos)) = *wt else { return (0, 0.0) };
            let off = (w * batch.seq + pos) * n_labels;
            let Some(row) = logits.get(off..off + n_labels) else {
                return (0, 0.0);
            };
            let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let sum: f32 = row.iter().map(|v| (v - max).exp()).sum();
            let (best, val) = row
                .iter()
                .enumerate()
                .fold((0, f32::NEG_INFINITY), |acc, (i, v)| {
                    if *v > acc.1 {
                        (i, *v)
                    } else {
                        acc
                    }
                });
            (best, (val - max).exp() / sum.max(f32::MIN_POSITIVE))
        })
        .collect()
}
