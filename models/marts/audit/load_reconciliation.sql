{#- One row per file in the landing folder (any depth, any type) and per file read before that has
    since been removed: lines read = accepted + rejected + duplicates + ignored. Lines are counted
    from the raw read, outcomes from the mapping models, so a line a model drops shows up as
    unaccounted and the file does not balance. A deferred file (in flight, or still settling) is
    listed and balances with nothing read; a quarantined one blocks publication until it is
    removed or replaced. A file read before keeps its counts while a changed version settles. -#}
with

present as (

    select * from {{ ref('base_landing__files') }}

),

read_files as (

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

files as (

    select
        coalesce(present.source_system, read_files.source_system) as source_system,
        coalesce(present.entity, read_files.entity) as entity,
        coalesce(present.file_name, read_files.file_name) as file_name,
        coalesce(present.extract_date, read_files.extract_date) as extract_date,
        coalesce(read_files.file_bytes, present.file_bytes) as file_bytes,
        read_files.content_sha256,
        present.file_name is not null as is_in_landing,
        read_files.file_name is not null as is_read,
        present.file_status as landing_status,
        present.file_reason as landing_reason,
        coalesce(read_files.loaded_at, cast({{ as_of_date() }} as timestamp)) as loaded_at
    from present
    full outer join read_files on read_files.path_key = present.path_key

),

final as (

    select
        files.source_system,
        files.entity,
        files.file_name,
        files.extract_date,
        cast(files.file_bytes as bigint) as file_bytes,
        case
            when files.landing_status = 'quarantined' then 'quarantined'
            when not files.is_read then 'deferred'
            when files.extract_date > {{ as_of_date() }} then 'after_as_of'
            else 'loaded'
        end as file_status,
        case when files.landing_status = 'quarantined' then files.landing_reason end as file_error,
        case when files.landing_status = 'deferred' then files.landing_reason end as deferred_reason,
        files.is_in_landing,
        files.content_sha256,
        coalesce(raw_lines.lines_read, 0) as lines_read,
        coalesce(outcomes.accepted, 0) as accepted,
        coalesce(outcomes.rejected, 0) as rejected,
        coalesce(outcomes.duplicates, 0) as duplicates,
        coalesce(outcomes.ignored, 0) as ignored,
        coalesce(outcomes.unaccounted, 0) as unaccounted,
        coalesce(outcomes.partially_rejected, 0) as partially_rejected,
        coalesce(outcomes.events, 0) as events,
        coalesce(files.landing_status, '') <> 'quarantined' and (
            not files.is_read
            or files.extract_date > {{ as_of_date() }}
            or coalesce(raw_lines.lines_read, 0) = coalesce(outcomes.accepted, 0) + coalesce(outcomes.rejected, 0)
                + coalesce(outcomes.duplicates, 0) + coalesce(outcomes.ignored, 0)
        ) as is_balanced,
        files.loaded_at
    from files
    left join raw_lines on raw_lines.file_name = files.file_name
    left join outcomes on outcomes.file_name = files.file_name

)

select * from final
