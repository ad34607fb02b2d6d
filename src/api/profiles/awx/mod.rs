//! The awx profile (being rebuilt on the route-table layer).

use crate::api::table::Profile;

pub fn surface() -> Profile {
    super::placeholder("awx")
}
