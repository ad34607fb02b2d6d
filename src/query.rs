//! What a list asks for, in the registry's terms: conditions on named fields, search
//! terms, an order and a window. Pure data, shared by every layer: the wire layer builds
//! it from a request, the registry adds its visibility, and only `store::list` turns field
//! names into SQL. No column name or SQL value appears here.

/// How a field's filter values are parsed and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// Compared case-insensitively (both sides folded).
    FoldedText,
    Bool,
    Int,
    /// A reference to another object, named by its uuid.
    Ref,
    Time,
    /// An enumerated value (role, status...): exact text.
    Enum(&'static [&'static str]),
}

/// A field a list can filter or order on: its public name and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    pub name: &'static str,
    pub kind: Kind,
}

/// A filter value, already parsed by the field's kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val {
    Text(String),
    Int(i64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Eq(Val),
    /// Case-insensitive equality, whatever the field's kind.
    IEq(String),
    IContains(String),
    In(Vec<Val>),
    IsNull(bool),
    Gt(Val),
    Gte(Val),
    Lt(Val),
    Lte(Val),
    StartsWith(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cond {
    /// A field name the resource declares (see `registry::fields`).
    pub field: &'static str,
    pub op: Op,
    pub negate: bool,
}

impl Cond {
    pub fn eq(field: &'static str, v: Val) -> Cond {
        Cond {
            field,
            op: Op::Eq(v),
            negate: false,
        }
    }
    pub fn new(field: &'static str, op: Op) -> Cond {
        Cond {
            field,
            op,
            negate: false,
        }
    }
}

/// A list request. `order` names fields, `true` meaning descending; a tie-breaker on
/// creation order is always appended by the store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub conds: Vec<Cond>,
    /// Every term must appear (folded) in the row's search text.
    pub search: Vec<String>,
    pub order: Vec<(&'static str, bool)>,
    pub limit: i64,
    pub offset: i64,
}

impl ListQuery {
    pub fn window(limit: i64, offset: i64) -> ListQuery {
        ListQuery {
            limit,
            offset,
            ..Default::default()
        }
    }
}
