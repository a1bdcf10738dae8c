{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['file_name', 'line_number'],
        on_schema_change='fail',
        post_hook="{{ delete_stale_mappings([ref('stg_sends__sends')]) }}",
    )
}}

{#- Every staged sends line with its disposition: the CSV header, a send (keyed to its contact by
    contact_key), a re-delivered copy of a send already read, or a rejected line with a reason.
    A send is identified by the sending tool and its send_id; the first reading counts (earliest
    load, then file, line, among the readings without a line error). A later line with the same id
    but different content is rejected as conflicting_send_id rather than silently preferred; a line
    sent at or after the end of the run date is rejected (sent_after_as_of), so a later run date
    lets it in. Not consent events: they feed the reconciliation (int_sends_events__mapped) and
    audit.sends_without_consent.

    Incremental by line (issue 9: the sends path costs what the new day costs). A line's
    disposition depends on itself, the run date and the other readings of its send id, so a night
    judges again (delete+insert by file_name, line_number) every line of a send id with:
    - a line in a file staged since this model last ran (a new file, or a file re-read with other
      content: staged at a version this table does not hold; every line of such a file is judged);
    - a stored line of a file version no longer staged (re-read, or out of scope for the run date:
      a reading that outranked others is gone);
    - a stored line the run date judges otherwise (sent_after_as_of that tonight's run date lets in;
      a send the run date now puts after it, which only a run date older than the stored one
      does: the orchestrator rebuilds a backfill in full anyway).
    Every reading of those send ids is read again, so their ranking is the full refresh's. The
    files to read are found with keys only and rendered as constants (query_values): a night with
    nothing new reads no line's text. The post-hook (delete_stale_mappings) then removes the lines
    of file versions no longer staged. Rows carry the file version (content_sha256), the rules they
    were judged under (mapping_rules: this SQL; a change rebuilds every line, as a full refresh
    would) and when they were written (written_at: int_sends_events__mapped remaps the files of
    lines written since it last ran). -#}
{%- set send_reasons = "('send_record', 'send_record_redelivered', 'conflicting_send_id')" -%}
{%- set slice = 'true' -%}
{%- set judged = 'true' -%}
{%- if is_incremental() -%}
    {%- set staged_versions = "select distinct file_name, content_sha256 from " ~ ref('stg_sends__sends') -%}
    {%- set stored_versions = "select distinct file_name, content_sha256 from " ~ this -%}
    {%- if not mapping_rules_changed() -%}
        {#- staged file versions this table does not hold: new or re-read files -#}
        {%- set changed_files = query_values(
            "select staged.file_name from (" ~ staged_versions ~ ") as staged left join ("
            ~ stored_versions ~ ") as stored on stored.file_name = staged.file_name"
            ~ " and stored.content_sha256 = staged.content_sha256 where stored.file_name is null") -%}
        {#- stored file versions no longer staged: re-read or out of scope -#}
        {%- set stale_files = query_values(
            "select stored.file_name from (" ~ stored_versions ~ ") as stored left join ("
            ~ staged_versions ~ ") as staged on staged.file_name = stored.file_name"
            ~ " and staged.content_sha256 = stored.content_sha256 where staged.file_name is null") -%}
        {%- set run_date_lines = query_values(
            "select count(*) from " ~ this ~ " where " ~ run_date_rejudged(send_reasons)) -%}
        {%- set any_run_date = run_date_lines and run_date_lines[0] > 0 -%}
        {%- set affected_sql = affected_send_ids(changed_files, stale_files, any_run_date, send_reasons) -%}
        {#- every file holding a reading of an affected send id, and the changed files -#}
        {%- set files = query_values(
            "with affected as (" ~ affected_sql ~ ") select distinct staged.file_name from "
            ~ ref('stg_sends__sends') ~ " as staged inner join affected"
            ~ " on not staged.is_header and affected.send_id = staged.send_id"
            ~ " and affected.sent_by_system is not distinct from staged.sent_by_system") -%}
        {%- set slice = value_in('file_name', ((files or []) + (changed_files or [])) | unique | list) -%}
        {%- set judged = value_in('file_name', changed_files) -%}
    {%- endif -%}
{%- endif %}

with

sends as (

    select * from {{ ref('stg_sends__sends') }}
    where {{ slice }}

),

{% if is_incremental() and slice != 'true' -%}
affected as (

    -- the send ids whose readings are judged again tonight (keys only)
    {{ affected_send_ids(changed_files, stale_files, any_run_date, send_reasons) }}

),

{% endif -%}
checked as (

    select
        *,
        case
            when parse_error is not null then parse_error
            when not is_header and sent_at >= {{ as_of_instant() }} then 'sent_after_as_of'
        end as line_error
    from sends

),

ranked as (

    select
        *,
        case when not is_header and line_error is null then
            row_number() over (
                partition by sent_by_system, send_id, is_header, line_error is null
                order by loaded_at, file_name, line_number
            )
        end as delivery_rank,
        case when not is_header and line_error is null then
            first_value(
                [cast(sent_at as varchar), contact_key, channel, purpose, campaign_id]
            ) over (
                partition by sent_by_system, send_id, is_header, line_error is null
                order by loaded_at, file_name, line_number
            )
        end as first_delivery_content
    from checked

),

judged as (

    -- the lines written tonight: every line of a changed file, every reading of an affected send id
    select * from ranked
    {%- if is_incremental() and slice != 'true' %}
    where {{ judged }}
        or exists (
            select 1 from affected
            where not ranked.is_header
                and affected.send_id = ranked.send_id
                and affected.sent_by_system is not distinct from ranked.sent_by_system
        )
    {%- endif %}

),

final as (

    select
        source_system,
        file_name,
        line_number,
        extract_date,
        loaded_at,
        send_id,
        sent_at,
        email,
        contact_key,
        channel,
        purpose,
        campaign_id,
        sent_by_system,
        case
            when is_header then 'csv_header'
            when line_error is not null then 'rejected'
            when delivery_rank = 1 then 'send'
            when first_delivery_content
                is not distinct from [cast(sent_at as varchar), contact_key, channel, purpose, campaign_id]
                then 'redelivered'
            else 'rejected'
        end as send_outcome,
        case
            when is_header then 'csv_header'
            when line_error is not null then line_error
            when delivery_rank = 1 then 'send_record'
            when first_delivery_content
                is not distinct from [cast(sent_at as varchar), contact_key, channel, purpose, campaign_id]
                then 'send_record_redelivered'
            else 'conflicting_send_id'
        end as reason,
        content_sha256,
        cast('{{ mapping_rules_fingerprint() }}' as {{ dbt.type_string() }}) as mapping_rules,
        {{ run_written_at() }} as written_at
    from judged

)

select * from final
