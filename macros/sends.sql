{#- Which stored sends lines a night judges again (int_sends__linked, issue 9). -#}

{#- A stored int_sends__linked row the run date judges otherwise: rejected as sent_after_as_of and
    let in by tonight's run date, or judged a reading (`send_reasons`) and sent at or after the end
    of tonight's run date (a run date older than the stored one). Reads keys only. -#}
{% macro run_date_rejudged(send_reasons) -%}
    (reason = 'sent_after_as_of' and sent_at < {{ as_of_instant() }})
    or (reason in {{ send_reasons }} and sent_at >= {{ as_of_instant() }})
{%- endmacro %}

{#- The send ids (sent_by_system, send_id) whose readings int_sends__linked judges again tonight:
    those read in a changed file (staged at a version the model does not hold), those of a stored
    reading of a file version no longer staged (it may have outranked another), and those of a
    stored line the run date judges otherwise. Only readings (no header, no parse error) rank, so
    only theirs count: a header's fields are its column names, the same in every file. The file
    lists are constants (query_values), so with none the query reads no row. -#}
{% macro affected_send_ids(changed_files, stale_files, any_run_date, send_reasons) -%}
    select sent_by_system, send_id
    from {{ ref('stg_sends__sends') }}
    where {{ value_in('file_name', changed_files) }} and not is_header and parse_error is null
    union
    select sent_by_system, send_id
    from {{ this }}
    where {{ value_in('file_name', stale_files) }} and reason in {{ send_reasons }}
    union
    select sent_by_system, send_id
    from {{ this }}
    where {{ 'true' if any_run_date else '1 = 0' }} and ({{ run_date_rejudged(send_reasons) }})
{%- endmacro %}
