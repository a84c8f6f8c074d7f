//! Customers: list and create.

mod api;
mod page;
#[cfg(feature = "ssr")]
mod server;

pub use api::{CreateCustomer, CustomerSummary, ListCustomers, create_customer, list_customers};
pub use page::CustomersPage;
