//! A small argument parser with Vietnamese messages (no external parser: its English errors
//! would reach commune officers). Options are `--name value` or `--name=value`; flags are `--name`.

use std::collections::BTreeMap;

/// Parsed arguments: positional words and options (repeatable).
#[derive(Debug, Default)]
pub struct Args {
    pub positional: Vec<String>,
    options: BTreeMap<String, Vec<String>>,
    flags: Vec<String>,
}

/// A usage error: the message is Vietnamese; the CLI exits with status 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl Args {
    /// `flag_names` are options that take no value.
    pub fn parse(raw: &[String], flag_names: &[&str]) -> Result<Args, UsageError> {
        let mut a = Args::default();
        let mut i = 0;
        while i < raw.len() {
            let s = &raw[i];
            if let Some(name) = s.strip_prefix("--") {
                if name.is_empty() {
                    a.positional.extend(raw[i + 1..].iter().cloned());
                    break;
                }
                if let Some((n, v)) = name.split_once('=') {
                    a.options
                        .entry(n.to_owned())
                        .or_default()
                        .push(v.to_owned());
                } else if flag_names.contains(&name) {
                    a.flags.push(name.to_owned());
                } else {
                    let v = raw
                        .get(i + 1)
                        .ok_or_else(|| UsageError(format!("Tuỳ chọn --{name} cần một giá trị.")))?;
                    a.options
                        .entry(name.to_owned())
                        .or_default()
                        .push(v.clone());
                    i += 1;
                }
            } else {
                a.positional.push(s.clone());
            }
            i += 1;
        }
        Ok(a)
    }

    pub fn flag(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f == name)
    }
    pub fn opt(&self, name: &str) -> Option<&str> {
        self.options
            .get(name)
            .and_then(|v| v.last())
            .map(String::as_str)
    }
    pub fn opts(&self, name: &str) -> Vec<String> {
        self.options.get(name).cloned().unwrap_or_default()
    }
    pub fn required(&self, name: &str) -> Result<&str, UsageError> {
        self.opt(name)
            .ok_or_else(|| UsageError(format!("Thiếu tuỳ chọn bắt buộc --{name}.")))
    }
    pub fn number<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, UsageError> {
        match self.opt(name) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| UsageError(format!("Giá trị của --{name} phải là một số: “{v}”."))),
        }
    }
    /// Refuse options this command does not know (typos must not be silently ignored).
    pub fn only(&self, allowed: &[&str]) -> Result<(), UsageError> {
        for k in self.options.keys().chain(self.flags.iter()) {
            if !allowed.contains(&k.as_str()) {
                return Err(UsageError(format!(
                    "Tuỳ chọn không hợp lệ cho lệnh này: --{k}."
                )));
            }
        }
        Ok(())
    }
}
