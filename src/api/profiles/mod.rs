//! Profiles: real organization APIs served over the same registry. Each profile is a
//! page of mapping — a route table, a parse → one registry operation → render step per
//! route, an OpenAPI fragment and a rule set — and owns no tables, no SQL and no
//! permission logic. `drf` is the toolkit the Django REST Framework shaped ones share.

pub mod accounts;
pub mod awx;
pub mod drf;
pub mod ezeep;
pub mod waldur;
pub mod zenml;

use super::table::Profile;

/// The profiles `names` mounts, in routing order (Waldur's paths are more specific than
/// AWX's catch-all under `/api/`).
pub fn mounted(names: &[String]) -> Vec<Profile> {
    let on = |name: &str| names.iter().any(|n| n == name);
    let mut out = vec![];
    if on("waldur") {
        out.push(waldur::surface());
    }
    if on("awx") {
        out.push(awx::surface());
    }
    if on("zenml") {
        out.push(zenml::surface());
    }
    if on("accounts") {
        out.push(accounts::surface());
    }
    if on("ezeep") {
        out.push(ezeep::surface());
    }
    out
}
