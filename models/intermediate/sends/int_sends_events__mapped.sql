{{ mapping_config(['int_sends__linked']) }}

{#- Sends are not consent events, but every landed sends line must still be accounted for in the
    reconciliation: a valid send (or a re-delivered copy of one) and the CSV header are 'ignored'
    with their reason, a malformed or conflicting line is 'rejected'. Never an event.
    Incremental by file (macros/mapping.sql): an outcome depends only on its line's disposition in
    int_sends__linked, so a night maps again only the files int_sends__linked rewrote a line of
    since this model last ran (written_at after the latest stored here), files it holds at a
    version not mapped yet, and every file when this SQL changed. The files are found with keys
    only and rendered as constants (query_values), so the union sees only the changed files and
    a night with nothing new reads no line's text. -#}
{%- set slice = 'true' -%}
{%- if is_incremental() -%}
    {%- if not mapping_rules_changed() -%}
        {%- set files = query_values(
            "select distinct linked.file_name from " ~ ref('int_sends__linked') ~ " as linked"
            ~ " left join (select distinct file_name, content_sha256 from " ~ this ~ ") as mapped"
            ~ " on mapped.file_name = linked.file_name and mapped.content_sha256 = linked.content_sha256"
            ~ " where mapped.file_name is null"
            ~ " or linked.written_at > (select max(written_at) from " ~ this ~ ")") -%}
        {%- set slice = value_in('file_name', files) -%}
    {%- endif -%}
{%- endif %}

with

sends as (

    select * from {{ ref('int_sends__linked') }}
    where {{ slice }}

),

rejected_lines as (

    select {{ line_outcome('rejected', 'reason') }}
    from sends
    where send_outcome = 'rejected'

),

ignored_lines as (

    select {{ line_outcome('ignored', 'reason') }}
    from sends
    where send_outcome in ('send', 'redelivered', 'csv_header')

),

outcomes as (

    select * from rejected_lines
    union all
    select * from ignored_lines

),

provenanced as (

    {{ mapped_with_provenance('outcomes', ['sends']) }}

),

final as (

    select
        *,
        {{ run_written_at() }} as written_at
    from provenanced

)

select * from final
