{{
    config(
        pre_hook=[{'sql': attach_published(), 'transaction': false}],
        post_hook=[{'sql': detach_published(), 'transaction': false}],
    )
}}

{#- What the latest published warehouse handed to the marketing tools, read as it was published
    (with int_publication_ledger__published, the only models that open the published file). One
    row per published row of:

    - origin 'tool_suppressions': consent.tool_suppressions (flag, contact_key, email): what the
      import files of that publish carried;
    - origin 'suppression_changes': audit.suppression_changes (import_name, contact_key, email,
      change, compared_with_as_of): what that publish compared with, so a rerun of its date can
      compare with the same earlier publish.

    A file published before a table existed has no rows of that origin (the first publish has
    none at all). Which rows count as the previous publish is audit.suppression_changes' rule. -#}
{%- set present = published_tables() %}
with

{% if 'consent.tool_suppressions' in present %}

published_suppressions as (

    select
        'tool_suppressions' as origin,
        flag,
        cast(null as {{ dbt.type_string() }}) as import_name,
        contact_key,
        email,
        cast(null as {{ dbt.type_string() }}) as change,
        cast(null as date) as compared_with_as_of
    from published_warehouse.consent.tool_suppressions
    where flag is not null

),

{% else %}

published_suppressions as (

    {{ empty_published_suppressions() }}

),

{% endif %}

{% if 'audit.suppression_changes' in present %}

published_changes as (

    select
        'suppression_changes' as origin,
        cast(null as {{ dbt.type_string() }}) as flag,
        import_name,
        contact_key,
        email,
        change,
        compared_with_as_of
    from published_warehouse.audit.suppression_changes

),

{% else %}

published_changes as (

    {{ empty_published_suppressions() }}

),

{% endif %}

final as (

    select * from published_suppressions
    union all
    select * from published_changes

)

select * from final
