{#- Every landed line in scope for the run, with the single outcome reconciliation counts:
    accepted (it yielded at least one new event), duplicate, rejected, ignored, or unaccounted
    (no mapping model produced anything for it: a pipeline bug the reconciliation test catches).
    A line with a line_error (not UTF-8, NUL bytes, duplicate JSON key) is never parsed: it is
    rejected with that reason here; except a damaged privacy request that is honoured anyway
    (macros/landing.sql), which is accepted when it yields an event, its damage counted as a
    rejected part. -#}
with

lines as (

    select * from {{ ref('base_landing__lines') }}
    where line_number > 0 and extract_date <= {{ as_of_date() }}

),

outcomes as (

    select * from {{ ref('int_consent_events__deduplicated') }}

),

per_line as (

    select
        file_name,
        line_number,
        count(*) filter (where outcome = 'event') as events,
        count(*) filter (where outcome = 'duplicate') as duplicate_events,
        count(*) filter (where outcome = 'rejected') as rejected_parts,
        count(*) filter (where outcome = 'ignored') as ignored_parts,
        string_agg(distinct reason, ', ' order by reason) as reasons
    from outcomes
    group by file_name, line_number

),

final as (

    select
        lines.source_system,
        lines.entity,
        lines.file_name,
        lines.line_number,
        lines.extract_date,
        lines.loaded_at,
        case
            when per_line.events > 0 then 'accepted'
            when lines.line_error is not null then 'rejected'
            when per_line.duplicate_events > 0 then 'duplicate'
            when per_line.rejected_parts > 0 then 'rejected'
            when per_line.ignored_parts > 0 then 'ignored'
            else 'unaccounted'
        end as line_outcome,
        coalesce(per_line.events, 0) as events,
        case when lines.line_error is not null then 1 else 0 end + coalesce(per_line.rejected_parts, 0)
            as rejected_parts,
        coalesce(lines.line_error, per_line.reasons) as reasons
    from lines
    left join per_line
        on per_line.file_name = lines.file_name
        and per_line.line_number = lines.line_number

)

select * from final
