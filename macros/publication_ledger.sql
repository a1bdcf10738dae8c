{#- The history the publish step keeps in the published warehouse (audit.publications and
    audit.publication_ledger) is read by int_publication_ledger__published, which attaches the
    published file (macros/landing.sql published_path) read-only; int_tool_suppressions__published reads what that
    file published to the tools the same way. These macros tell it which tables
    that file has: a file published before the ledger existed has none, and its history is then
    taken from what it published (audit.withdrawal_sla, consent.contacts). -#}
{% macro published_tables() -%}
    {%- if not execute or not published_path() -%}{{ return([]) }}{%- endif -%}
    {%- do run_query(attach_published()) -%}
    {%- set sql -%}
        select table_schema || '.' || table_name
        from information_schema.tables
        where table_catalog = 'published_warehouse'
    {%- endset -%}
    {{ return(run_query(sql).columns[0].values() | list) }}
{%- endmacro %}

{#- The ledger's row shape, for a published file that has no history (first run). -#}
{% macro empty_ledger_entries() -%}
    select
        cast(null as {{ dbt.type_string() }}) as entry,
        cast(null as {{ dbt.type_string() }}) as contact_key,
        cast(null as {{ dbt.type_string() }}) as item_key,
        cast(null as timestamp) as occurred_at,
        cast(null as date) as recorded_as_of
    where false
{%- endmacro %}
