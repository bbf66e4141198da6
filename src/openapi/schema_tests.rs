//! Unit tests of the schema mapper.

use super::*;
