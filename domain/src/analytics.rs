//! Analytics over archives, for managers: customer value (RFM), churn risk
//! (the BG/NBD model), lifecycle suggestions, satisfaction and the team
//! figures of the dashboards.
//!
//! Everything here is a pure function of archive summaries and "today", so
//! it is tested without a database and gives the same figures wherever it runs.

pub mod bgnbd;
pub mod dashboard;
pub mod numeric;
pub mod rfm;
pub mod scoring;
pub mod summary;
