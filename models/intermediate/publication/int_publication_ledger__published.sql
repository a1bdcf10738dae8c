{{
    config(
        pre_hook=[{'sql': attach_published(), 'transaction': false}],
        post_hook=[{'sql': detach_published(), 'transaction': false}],
    )
}}

{#- What the latest published warehouse already recorded, read once per run (with
    int_tool_suppressions__published, the only models that open the published file): one row per ledger entry.

    - entry 'publication': a publish of the latest warehouse (recorded_as_of is its run date);
    - 'first_publication': a suppression (item_key = evidence event) and the run that first
      published it;
    - 'withdrawal_confirmation' / 'reconsent_request': what an outbox handed to the email tool
      (item_key = withdrawal event / purpose/channel@notice version);
    - 'erasure': an erasure the warehouse knows (item_key = erasure event or 'erasure').

    The ledger is append-only and owned by the publish step (orchestration/lib/publish.py); dbt only
    reads it, so a backfill or rerun cannot change it. A warehouse published before the ledger
    existed is read as if its first publications and confirmations had been recorded (from
    audit.withdrawal_sla) and its erased contacts known. -#}
{%- set present = published_tables() %}
with

{% if 'audit.publication_ledger' in present %}

ledger as (

    select entry, contact_key, item_key, occurred_at, recorded_as_of
    from published_warehouse.audit.publication_ledger

),

publications as (

    select 'publication' as entry, cast(null as {{ dbt.type_string() }}) as contact_key,
        cast(null as {{ dbt.type_string() }}) as item_key, cast(null as timestamp) as occurred_at,
        as_of as recorded_as_of
    from published_warehouse.audit.publications
    where kind <> 'backfill'

),

{% elif 'audit.withdrawal_sla' in present %}

ledger as (

    select 'first_publication' as entry, contact_key, evidence_event_id as item_key,
        suppressed_since as occurred_at, first_published_as_of as recorded_as_of
    from published_warehouse.audit.withdrawal_sla
    union all
    -- the outbox of that time confirmed what each run published first
    select 'withdrawal_confirmation', contact_key, evidence_event_id, suppressed_since, first_published_as_of
    from published_warehouse.audit.withdrawal_sla
    union all
    select 'erasure', contact_key, 'erasure', erased_at, cast(erased_at as date)
    from published_warehouse.consent.contacts
    where is_erased

),

publications as (

    select distinct 'publication' as entry, cast(null as {{ dbt.type_string() }}) as contact_key,
        cast(null as {{ dbt.type_string() }}) as item_key, cast(null as timestamp) as occurred_at,
        as_of as recorded_as_of
    from published_warehouse.consent.consent_status

),

{% else %}

ledger as (

    {{ empty_ledger_entries() }}

),

publications as (

    {{ empty_ledger_entries() }}

),

{% endif %}

final as (

    select * from ledger
    union all
    select * from publications

)

select * from final
