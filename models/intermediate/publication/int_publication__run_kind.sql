{#- One row: what publishing this run will do. A run for a date after the latest publish is
    'nightly'; for the same date, a 'rerun' (it replaces the latest state); for an earlier date, a
    'backfill': it is published as a dated snapshot beside the latest warehouse, never replaces
    it, and hands nothing to the email tool (outboxes are for the latest state only). -#}
with

publications as (

    select recorded_as_of from {{ ref('int_publication_ledger__published') }}
    where entry = 'publication'

),

latest as (

    select max(recorded_as_of) as latest_published_as_of from publications

),

final as (

    select
        {{ as_of_date() }} as as_of,
        latest_published_as_of,
        case
            when latest_published_as_of is null or latest_published_as_of < {{ as_of_date() }} then 'nightly'
            when latest_published_as_of = {{ as_of_date() }} then 'rerun'
            else 'backfill'
        end as run_kind
    from latest

)

select * from final
