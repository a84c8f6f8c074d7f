//! Customers: list, search, read, export, and create through a mutation.

mod api;
mod page;
#[cfg(feature = "ssr")]
mod server;

pub use api::{
    CustomerConflicts, CustomerDetail, ExportCustomers, GetCustomer, ListCustomers, customer_conflicts,
    export_customers, get_customer, list_customers,
};
pub use page::CustomersPage;
