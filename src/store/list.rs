//! The one place list queries are assembled: conditions on whitelisted columns, a
//! `search` over a pre-folded column, a total order, and LIMIT/OFFSET. Column expressions
//! come only from the `Field` tables the store modules define; values are always bound
//! parameters.

use rusqlite::types::Value as Sql;

/// How a query value is parsed before it is bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// Compared case-insensitively (both sides folded).
    FoldedText,
    Bool,
    Int,
    /// A UUID: `sql` is a column holding the referenced row's seq, and `lookup` the
    /// subquery that maps a uuid to it.
    Ref(&'static str),
    Time,
    /// An enumerated value (role, status...): exact text.
    Enum(&'static [&'static str]),
}

/// A filterable or orderable field of a list: its public name, the SQL expression it
/// stands for and its kind.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub sql: &'static str,
    pub kind: Kind,
}

#[derive(Debug, Clone)]
pub enum Op {
    Eq(Sql),
    IContains(String),
    In(Vec<Sql>),
    IsNull(bool),
    Gt(Sql),
    Gte(Sql),
    Lt(Sql),
    Lte(Sql),
    StartsWith(String),
}

#[derive(Debug, Clone)]
pub struct Cond {
    pub field: Field,
    pub op: Op,
    pub negate: bool,
}

/// What a list asks for, in store terms.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub conds: Vec<Cond>,
    /// Every term must appear (folded) in the row's search text.
    pub search: Vec<String>,
    /// (field, descending). A tie-breaker on creation order is always appended.
    pub order: Vec<(Field, bool)>,
    pub limit: i64,
    pub offset: i64,
}

/// Builds ` AND ...` clauses for `q` against the given search column, pushing parameters.
pub fn where_sql(q: &ListQuery, search_col: &str, params: &mut Vec<Sql>) -> String {
    let mut sql = String::new();
    for c in &q.conds {
        let expr = match c.field.kind {
            Kind::Ref(lookup) => format!("{} = ({lookup})", c.field.sql),
            _ => String::new(),
        };
        let col = c.field.sql;
        let folded = matches!(c.field.kind, Kind::FoldedText);
        let clause = match &c.op {
            Op::Eq(v) => {
                if let Kind::Ref(_) = c.field.kind {
                    params.push(v.clone());
                    expr
                } else if folded {
                    params.push(v.clone());
                    format!("orgreg_fold({col}) = orgreg_fold(?)")
                } else {
                    params.push(v.clone());
                    format!("{col} = ?")
                }
            }
            Op::IContains(s) => {
                params.push(Sql::Text(crate::model::fold(s)));
                format!("instr(orgreg_fold(coalesce({col}, '')), ?) > 0")
            }
            Op::StartsWith(s) => {
                let f = crate::model::fold(s);
                params.push(Sql::Text(f.clone()));
                params.push(Sql::Text(f));
                format!("substr(orgreg_fold(coalesce({col}, '')), 1, length(?)) = ?")
            }
            Op::In(vs) => {
                if vs.is_empty() {
                    "0".to_string()
                } else {
                    let marks = vec!["?"; vs.len()].join(", ");
                    params.extend(vs.iter().cloned());
                    match c.field.kind {
                        Kind::Ref(lookup) => {
                            let inner = lookup.replace("= ?", &format!("IN ({marks})"));
                            format!("{col} IN ({inner})")
                        }
                        _ => format!("{col} IN ({marks})"),
                    }
                }
            }
            Op::IsNull(true) => format!("{col} IS NULL"),
            Op::IsNull(false) => format!("{col} IS NOT NULL"),
            Op::Gt(v) | Op::Gte(v) | Op::Lt(v) | Op::Lte(v) => {
                let sym = match &c.op {
                    Op::Gt(_) => ">",
                    Op::Gte(_) => ">=",
                    Op::Lt(_) => "<",
                    _ => "<=",
                };
                params.push(v.clone());
                format!("{col} {sym} ?")
            }
        };
        if c.negate {
            sql.push_str(&format!(" AND NOT coalesce({clause}, 0)"));
        } else {
            sql.push_str(&format!(" AND {clause}"));
        }
    }
    for term in &q.search {
        params.push(Sql::Text(crate::model::fold(term)));
        sql.push_str(&format!(" AND instr({search_col}, ?) > 0"));
    }
    sql
}

/// ` ORDER BY ...` with the creation-order tie-breaker (always ascending).
pub fn order_sql(q: &ListQuery, default: &str, seq_col: &str) -> String {
    let mut parts: Vec<String> = q
        .order
        .iter()
        .map(|(f, desc)| format!("{} {}", f.sql, if *desc { "DESC" } else { "ASC" }))
        .collect();
    if parts.is_empty() && !default.is_empty() {
        parts.push(default.to_string());
    }
    parts.push(format!("{seq_col} ASC"));
    format!(" ORDER BY {}", parts.join(", "))
}

/// Runs a list query: the total count of `from + filter`, then one page of `cols` in
/// `order` (which must end in a total order), mapped by `row`.
#[allow(clippy::too_many_arguments)]
pub fn page<T>(
    c: &rusqlite::Connection,
    cols: &str,
    from: &str,
    filter: &str,
    mut params: Vec<Sql>,
    order: &str,
    q: &ListQuery,
    row: impl FnMut(&rusqlite::Row) -> rusqlite::Result<T>,
) -> crate::error::Result<crate::model::Page<T>> {
    let count: i64 = c
        .prepare_cached(&format!("SELECT count(*){from}{filter}"))?
        .query_row(rusqlite::params_from_iter(params.iter()), |r| r.get(0))?;
    params.push(Sql::Integer(q.limit));
    params.push(Sql::Integer(q.offset));
    let sql = format!("SELECT {cols}{from}{filter}{order} LIMIT ? OFFSET ?");
    let items = c
        .prepare_cached(&sql)?
        .query_map(rusqlite::params_from_iter(params.iter()), row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(crate::model::Page { count, items })
}
