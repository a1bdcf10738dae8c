{{ config(contract={'enforced': true}) }}

{#- One row per landed file: lines read = accepted + rejected + duplicates + ignored. Lines are
    counted from the raw read, outcomes from the mapping models, so a line a model drops shows up
    as unaccounted and the file does not balance. -#}
with

files as (

    select * from {{ ref('base_landing__lines') }}
    where line_number = 0

),

raw_lines as (

    select file_name, count(*) as lines_read
    from {{ ref('base_landing__lines') }}
    where line_number > 0
    group by file_name

),

outcomes as (

    select
        file_name,
        count(*) filter (where line_outcome = 'accepted') as accepted,
        count(*) filter (where line_outcome = 'rejected') as rejected,
        count(*) filter (where line_outcome = 'duplicate') as duplicates,
        count(*) filter (where line_outcome = 'ignored') as ignored,
        count(*) filter (where line_outcome = 'unaccounted') as unaccounted,
        count(*) filter (where line_outcome = 'accepted' and rejected_parts > 0) as partially_rejected,
        cast(sum(events) as bigint) as events
    from {{ ref('int_landing_lines__classified') }}
    group by file_name

),

final as (

    select
        files.source_system,
        files.entity,
        files.file_name,
        files.extract_date,
        files.file_bytes,
        case
            when files.file_error is not null then 'quarantined'
            when files.extract_date > {{ as_of_date() }} then 'after_as_of'
            else 'loaded'
        end as file_status,
        files.file_error,
        coalesce(raw_lines.lines_read, 0) as lines_read,
        coalesce(outcomes.accepted, 0) as accepted,
        coalesce(outcomes.rejected, 0) as rejected,
        coalesce(outcomes.duplicates, 0) as duplicates,
        coalesce(outcomes.ignored, 0) as ignored,
        coalesce(outcomes.unaccounted, 0) as unaccounted,
        coalesce(outcomes.partially_rejected, 0) as partially_rejected,
        coalesce(outcomes.events, 0) as events,
        files.file_error is null and (
            files.extract_date > {{ as_of_date() }}
            or coalesce(raw_lines.lines_read, 0) = coalesce(outcomes.accepted, 0) + coalesce(outcomes.rejected, 0)
                + coalesce(outcomes.duplicates, 0) + coalesce(outcomes.ignored, 0)
        ) as is_balanced,
        files.loaded_at
    from files
    left join raw_lines on raw_lines.file_name = files.file_name
    left join outcomes on outcomes.file_name = files.file_name

)

select * from final
