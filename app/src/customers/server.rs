//! The server side of the customer functions: thin, over policy and store.

use domain::policy::{self, Shown, Sight};
use domain::views::{ConflictView, CustomerListItem, CustomerQuery};

use super::CustomerDetail;
use crate::auth::signed_in;
use crate::csv::csv_document;
use crate::error::{AppError, answer};

pub(super) async fn list(query: CustomerQuery) -> Result<Vec<CustomerListItem>, AppError> {
    let (state, user) = signed_in().await?;
    answer(state.store.list_customers(&user.viewer(), &query).await)
}

pub(super) async fn get(id: String) -> Result<CustomerDetail, AppError> {
    let (state, user) = signed_in().await?;
    let viewer = user.viewer();
    let (customer, sight) =
        answer(state.store.customer_for(&viewer, &id).await)?.ok_or_else(|| AppError::NotFound.respond())?;
    if policy::view_is_audited(&viewer, &customer, sight, Shown::Archive) {
        answer(
            state
                .store
                .record_audit(&viewer, "view_sensitive", Some((&id, viewer.team.as_deref())), None)
                .await,
        )?;
    }
    Ok(CustomerDetail { customer, masked: sight == Sight::Masked })
}

pub(super) async fn conflicts(id: String) -> Result<Vec<ConflictView>, AppError> {
    let (state, user) = signed_in().await?;
    let viewer = user.viewer();
    let (customer, sight) =
        answer(state.store.customer_for(&viewer, &id).await)?.ok_or_else(|| AppError::NotFound.respond())?;
    // A manager reading a phone number someone typed over is reading it.
    if policy::view_is_audited(&viewer, &customer, sight, Shown::Conflicts) {
        let detail = Some("conflicts".to_owned());
        let place = Some((id.as_str(), viewer.team.as_deref()));
        answer(state.store.record_audit(&viewer, "view_sensitive", place, detail).await)?;
    }
    Ok(store::conflicts_of(&customer))
}

pub(super) async fn export() -> Result<String, AppError> {
    let (state, user) = signed_in().await?;
    let viewer = user.viewer();
    let archives = answer(state.store.export_customers(&viewer).await)?;
    let definitions = answer(state.store.custom_fields().await)?;
    let mut header: Vec<String> =
        ["id", "name", "stage", "category", "city", "owner", "phones", "emails"].map(String::from).into();
    // Every custom field, retired ones too: their values are still kept.
    header.extend(definitions.fields.iter().map(|d| d.zh.clone()));
    let mut rows = Vec::with_capacity(archives.len());
    for (customer, _) in &archives {
        let f = &customer.fields;
        let cells = [
            customer.id.to_string(),
            f.name.as_str().to_owned(),
            store::wire_name(&f.stage),
            store::wire_name(&f.category),
            f.address.city.clone().unwrap_or_default(),
            f.owner.as_ref().map(|o| o.0.clone()).unwrap_or_default(),
            f.phones.iter().map(|p| p.number.e164()).collect::<Vec<_>>().join(" "),
            f.emails.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(" "),
        ];
        let mut cells: Vec<String> = cells.into();
        cells.extend(
            definitions
                .fields
                .iter()
                .map(|d| f.custom.get(&d.key).map(|v| d.show(v, false)).unwrap_or_default()),
        );
        rows.push(cells);
    }
    let csv = csv_document(&header, &rows);
    let detail = format!("{{\"rows\":{}}}", archives.len());
    answer(state.store.record_audit(&viewer, "export", None, Some(detail)).await)?;
    tracing::info!(user = %viewer.user, rows = archives.len(), "customers exported");
    Ok(csv)
}

pub(super) async fn duplicate_hints(
    fields: domain::archive::Fields,
) -> Result<Vec<domain::views::DuplicateHint>, AppError> {
    use domain::apply::{ApplyContext, apply};
    let (state, user) = signed_in().await?;
    let viewer = user.viewer();
    // The draft as it would be created (checked and normalised like any create).
    let mut client = domain::mutation::Sequencer::new(viewer.user.clone());
    let change = domain::Change::Create { fields: Box::new(fields) };
    let mutation =
        client.next(domain::ids::CustomerId::new(), change, domain::time::Timestamp(store::now_millis()));
    let Ok((draft, _)) = apply(None, &mutation, &ApplyContext { version: 0, today: store::today() }) else {
        // A draft that would not be saved has nothing to compare yet.
        return Ok(Vec::new());
    };
    answer(state.store.duplicate_hints(&viewer, &draft).await)
}
