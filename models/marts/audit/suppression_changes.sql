{#- What changed in each marketing tool's import file against the previous publish of the same
    warehouse (issue 14: computed once, read by suppression sync and the run report). Grain: one
    row per import file (tool_imports seed) × contact it carries now or carried then.

    Rules:
    - current: the import carries every consent.tool_suppressions row with its flag (kept, or
      added when the previous publish's file did not carry it);
    - previous: a nightly run compares with the latest publish (its consent.tool_suppressions); a
      rerun of a date compares with the same earlier publish as the first run of that date did (the
      published rows of this table it had then: kept, lifted, erased), so its files are the first
      run's brought up to date (a file published before this table existed: with that publish);
      the first publish compares with nothing, so everything is added;
    - lifted: carried then, not now, and the contact is not erased: the tool may mail again;
    - erased: carried then and erased since: counted, never written with the address (email is
      null), and never lifted (that would tell a tool to mail the person again);
    - a backfill hands nothing to the tools (they follow the latest state): no rows.

    Why: the sync files, their summary and the run report all read these rows, so the numbers
    are the same everywhere and Python only writes files. -#}
with

run as (

    select * from {{ ref('int_publication__run_kind') }}

),

imports as (

    select * from {{ ref('tool_imports') }}

),

tool_suppressions as (

    select * from {{ ref('tool_suppressions') }}

),

published as (

    select * from {{ ref('int_tool_suppressions__published') }}

),

contacts as (

    select * from {{ ref('contacts') }}

),

current_rows as (

    select distinct
        imports.import_name,
        tool_suppressions.contact_key,
        tool_suppressions.email
    from tool_suppressions
    inner join imports on imports.flag = tool_suppressions.flag
    cross join run
    where run.run_kind <> 'backfill'

),

first_run as (

    -- what the first run of a rerun's date published of this table (none: an older file)
    select count(*) as published_changes, max(compared_with_as_of) as compared_with_as_of
    from published
    where origin = 'suppression_changes'

),

baseline as (

    -- which publish the run compares with
    select
        run.run_kind,
        case
            when run.run_kind = 'rerun' and first_run.published_changes > 0 then 'first_run'
            when run.run_kind in ('nightly', 'rerun') then 'latest_publish'
            else 'nothing'
        end as compare_with,
        case
            when run.run_kind = 'rerun' and first_run.published_changes > 0 then first_run.compared_with_as_of
            when run.run_kind in ('nightly', 'rerun') then run.latest_published_as_of
        end as compared_with_as_of
    from run
    cross join first_run

),

latest_publish_rows as (

    select distinct
        imports.import_name,
        published.contact_key,
        published.email
    from published
    inner join imports on imports.flag = published.flag
    inner join baseline on baseline.compare_with = 'latest_publish'
    where published.origin = 'tool_suppressions'

),

first_run_rows as (

    select
        published.import_name,
        published.contact_key,
        published.email
    from published
    inner join baseline on baseline.compare_with = 'first_run'
    where published.origin = 'suppression_changes'
        and published.change in ('kept', 'lifted', 'erased')

),

previous_rows as (

    select * from latest_publish_rows
    union all
    select * from first_run_rows

),

compared as (

    select
        coalesce(current_rows.import_name, previous_rows.import_name) as import_name,
        coalesce(current_rows.contact_key, previous_rows.contact_key) as contact_key,
        current_rows.email as current_email,
        previous_rows.email as previous_email,
        current_rows.contact_key is not null as is_current,
        previous_rows.contact_key is not null as is_previous
    from current_rows
    full outer join previous_rows
        on previous_rows.import_name = current_rows.import_name
        and previous_rows.contact_key = current_rows.contact_key

),

erased as (

    select contact_key from contacts where is_erased

),

classified as (

    select
        compared.import_name,
        compared.contact_key,
        case
            when compared.is_current and compared.is_previous then 'kept'
            when compared.is_current then 'added'
            when erased.contact_key is not null then 'erased'
            else 'lifted'
        end as change,
        compared.current_email,
        compared.previous_email
    from compared
    left join erased on erased.contact_key = compared.contact_key

),

final as (

    select
        {{ as_of_date() }} as as_of,
        classified.import_name,
        imports.tool,
        classified.contact_key,
        case
            when classified.change = 'erased' then cast(null as {{ dbt.type_string() }})
            when classified.change = 'lifted' then classified.previous_email
            else classified.current_email
        end as email,
        classified.change,
        baseline.compared_with_as_of
    from classified
    inner join imports on imports.import_name = classified.import_name
    cross join baseline

)

select * from final
