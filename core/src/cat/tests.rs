//! Unit tests of the CAT engine.
