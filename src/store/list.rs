//! The one place list queries become SQL: a resource's `Field` table maps the public
//! field names of a `query::ListQuery` to column expressions; values are always bound
//! parameters. A name the table does not declare is an internal error (the wire layer
//! only builds queries from declared fields).

use crate::error::{Error, Result};
use crate::query::{Kind, ListQuery, Op, Val};
use rusqlite::types::Value as Sql;

/// A filterable or orderable field of a list: its public name, the SQL expression it
/// stands for, its kind, and (for references) the subquery mapping a uuid to a seq.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub sql: &'static str,
    pub kind: Kind,
    pub lookup: Option<&'static str>,
}

impl Field {
    pub const fn new(name: &'static str, sql: &'static str, kind: Kind) -> Field {
        Field {
            name,
            sql,
            kind,
            lookup: None,
        }
    }
    pub const fn reference(name: &'static str, sql: &'static str, lookup: &'static str) -> Field {
        Field {
            name,
            sql,
            kind: Kind::Ref,
            lookup: Some(lookup),
        }
    }
}

/// The public part of a field table.
pub fn specs(fields: &[Field]) -> Vec<crate::query::FieldSpec> {
    fields
        .iter()
        .map(|f| crate::query::FieldSpec {
            name: f.name,
            kind: f.kind,
        })
        .collect()
}

fn find<'a>(fields: &'a [Field], name: &str) -> Result<&'a Field> {
    fields
        .iter()
        .find(|f| f.name == name)
        .ok_or_else(|| Error::Internal(format!("list query names an undeclared field {name:?}")))
}

fn bind(v: &Val) -> Sql {
    match v {
        Val::Text(s) => Sql::Text(s.clone()),
        Val::Int(i) => Sql::Integer(*i),
    }
}

/// Builds ` AND ...` clauses for `q` against `fields` and the given search column,
/// pushing parameters.
pub fn where_sql(
    q: &ListQuery,
    fields: &[Field],
    search_col: &str,
    params: &mut Vec<Sql>,
) -> Result<String> {
    let mut sql = String::new();
    for c in &q.conds {
        let f = find(fields, c.field)?;
        let col = f.sql;
        let folded = matches!(f.kind, Kind::FoldedText);
        let clause = match &c.op {
            Op::Eq(v) => {
                params.push(bind(v));
                match (f.kind, f.lookup) {
                    (Kind::Ref, Some(lookup)) => format!("{col} = ({lookup})"),
                    _ if folded => format!("orgreg_fold({col}) = orgreg_fold(?)"),
                    _ => format!("{col} = ?"),
                }
            }
            Op::IEq(s) => {
                params.push(Sql::Text(s.clone()));
                format!("orgreg_fold({col}) = orgreg_fold(?)")
            }
            Op::IContains(s) => {
                params.push(Sql::Text(crate::model::fold(s)));
                format!("instr(orgreg_fold(coalesce({col}, '')), ?) > 0")
            }
            Op::StartsWith(s) => {
                let folded = crate::model::fold(s);
                params.push(Sql::Text(folded.clone()));
                params.push(Sql::Text(folded));
                format!("substr(orgreg_fold(coalesce({col}, '')), 1, length(?)) = ?")
            }
            Op::In(vs) => {
                if vs.is_empty() {
                    "0".to_string()
                } else {
                    let marks = vec!["?"; vs.len()].join(", ");
                    params.extend(vs.iter().map(bind));
                    match (f.kind, f.lookup) {
                        (Kind::Ref, Some(lookup)) => {
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
                params.push(bind(v));
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
    Ok(sql)
}

/// ` ORDER BY ...` with the creation-order tie-breaker (always ascending).
pub fn order_sql(q: &ListQuery, fields: &[Field], default: &str, seq_col: &str) -> Result<String> {
    let mut parts = vec![];
    for (name, desc) in &q.order {
        let f = find(fields, name)?;
        parts.push(format!("{} {}", f.sql, if *desc { "DESC" } else { "ASC" }));
    }
    if parts.is_empty() && !default.is_empty() {
        parts.push(default.to_string());
    }
    parts.push(format!("{seq_col} ASC"));
    Ok(format!(" ORDER BY {}", parts.join(", ")))
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
) -> Result<crate::model::Page<T>> {
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
