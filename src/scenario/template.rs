//! Body templates: literal JSON with generator tables at any depth.
// STUB: owned by the scenario helper.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct TemplateNode(toml::Value);
