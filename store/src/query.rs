//! Reading query answers and shaping rows, for every part of the store.

use serde_json::Value;

use crate::StoreError;

/// Strips nulls from a row, since `option<T>` columns take NONE, not NULL.
pub(crate) fn without_nulls(mut value: Value) -> Value {
    if let Value::Object(map) = &mut value {
        map.retain(|_, v| !v.is_null());
    }
    value
}

/// The rows of statement `index`, read as JSON and then as `T`.
pub(crate) fn take_all<T: serde::de::DeserializeOwned>(
    response: &mut surrealdb::IndexedResults,
    index: usize,
) -> Result<Vec<T>, StoreError> {
    let rows: Vec<Value> = response.take(index).map_err(StoreError::from_db)?;
    rows.into_iter()
        .map(|r| {
            serde_json::from_value(r).map_err(|error| {
                tracing::error!(%error, "a stored row does not have the expected shape");
                StoreError::Other
            })
        })
        .collect()
}

/// The first row of statement `index`, if any.
pub(crate) fn take_one<T: serde::de::DeserializeOwned>(
    response: &mut surrealdb::IndexedResults,
    index: usize,
) -> Result<Option<T>, StoreError> {
    Ok(take_all(response, index)?.into_iter().next())
}
