{#- Mapping models of line-local sources (issue 9: map once). A line's outcome there depends only
    on the line itself (and its own file) and on seeds, so a night maps only the files staged
    since the model last ran, like staging (macros/landing.sql), and writes them with
    delete+insert by file_name. Every row carries the file version it was mapped from
    (content_sha256, from staging) and the rules it was mapped under (mapping_rules, below). -#}

{#- Config of an incremental mapping model; `staged` names the staging models it reads. -#}
{% macro mapping_config(staged) -%}
    {%- set names = [] -%}
    {%- for name in staged -%}
        {%- do names.append("ref('" ~ name ~ "')") -%}
    {%- endfor -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='file_name',
        on_schema_change='fail',
        pre_hook="{{ delete_stale_mappings([" ~ names | join(', ') ~ "]) }}",
    ) }}
{%- endmacro %}

{#- A fingerprint of the mapping's own rules: the model's SQL and the checksums of the seeds it
    reads (graph). Rows mapped under other rules are mapped again, so a deploy that changes a
    mapping model or a seed it reads (source_scope_map) remaps every file, as a full refresh
    would. The graph has no macro source: a change to a macro the model calls (canonical_event,
    json_text...) needs --full-refresh of the mapping models (as for resolver_rules_fingerprint). -#}
{% macro mapping_rules_fingerprint() -%}
    {#- a unit test renders the model without its node in the graph: no fingerprint there -#}
    {%- set nodes = graph.get('nodes', {}) -%}
    {%- if not execute or model.unique_id not in nodes -%}{{ return('') }}{%- endif -%}
    {%- set node = nodes[model.unique_id] -%}
    {%- set parts = [node.raw_code] -%}
    {%- for dependency in node.depends_on.nodes | sort if dependency.startswith('seed.') -%}
        {%- do parts.append(dependency ~ ':' ~ nodes[dependency].checksum.checksum) -%}
    {%- endfor -%}
    {{ return(local_md5(parts | join('\n'))) }}
{%- endmacro %}

{#- The one rule for "mapped under other rules": a stored row whose mapping_rules is not tonight's
    fingerprint. delete_stale_mappings deletes such rows; a model that picks its slice at render
    time (the sends models) asks mapping_rules_changed() and then judges every line again. -#}
{% macro mapped_under_other_rules() -%}
    mapping_rules <> '{{ mapping_rules_fingerprint() }}'
{%- endmacro %}

{#- Whether this incremental model holds a row mapped under other rules (keys only, at render
    time). Unknown (no answer while parsing) counts as changed: everything is judged again. -#}
{% macro mapping_rules_changed() -%}
    {%- set stale = query_values("select count(*) from " ~ this ~ " where " ~ mapped_under_other_rules()) -%}
    {{ return(not stale or stale[0] > 0) }}
{%- endmacro %}

{#- pre_hook of an incremental mapping model: remove the files a full refresh would map
    differently or not at all: files no longer staged at the version they were mapped from
    (re-read with new content, which may have no readable line left, or out of scope for the run
    date: staging dropped them) and files mapped under other rules. What is left is current; the
    model then maps the staged files it does not hold (mapping_slice). Rendered at run time. -#}
{% macro delete_stale_mappings(staged) -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where {{ mapped_under_other_rules() }}
        or file_name in (
            select mapped.file_name
            from (select distinct file_name, content_sha256 from {{ this }}) as mapped
            left join (
                {%- for relation in staged %}
                select distinct file_name, content_sha256 from {{ relation }}
                {%- if not loop.last %}
                union
                {%- endif -%}
                {% endfor %}
            ) as staged_files
                on staged_files.file_name = mapped.file_name
                and staged_files.content_sha256 = mapped.content_sha256
            where staged_files.file_name is null
        )
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{#- A condition on a staging model's rows (alias `alias`): in an incremental run, the file is not
    mapped yet (after delete_stale_mappings, what is missing is new, re-read or under new rules);
    true otherwise. -#}
{% macro mapping_slice(alias) -%}
    {%- if is_incremental() -%}
    {{ alias }}.file_name not in (select distinct file_name from {{ this }})
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}

{#- The final select of an incremental mapping model: every outcome with the file version it
    was mapped from and the rules it was mapped under. `staged` lists the CTEs of the staged rows
    mapped tonight (each with file_name, content_sha256). -#}
{% macro mapped_with_provenance(outcomes, staged) -%}
    select
        {{ outcomes }}.*,
        mapped_files.content_sha256,
        cast('{{ mapping_rules_fingerprint() }}' as {{ dbt.type_string() }}) as mapping_rules
    from {{ outcomes }}
    left join (
        {%- for cte in staged %}
        select distinct file_name, content_sha256 from {{ cte }}
        {%- if not loop.last %}
        union
        {%- endif -%}
        {% endfor %}
    ) as mapped_files on mapped_files.file_name = {{ outcomes }}.file_name
{%- endmacro %}

{#- pre_hook of int_consent_events__unioned: remove the files no mapping model holds any more (a
    file re-read without a readable line, a file out of scope for the run date), which
    delete+insert by file_name alone would keep (it replaces only the files it writes).
    `mapped` names the mapping models. Rendered at run time. -#}
{% macro delete_unmapped_files(mapped) -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where file_name not in (
        {%- for name in mapped %}
        select file_name from {{ ref(name) }}
        {%- if not loop.last %}
        union
        {%- endif -%}
        {% endfor %}
    )
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{#- The outcomes of every mapping model in the canonical shape, checked against the run date
    (int_consent_events__unioned): an event dated after the end of the run date or before 2000 is
    rejected (occurred_after_as_of, occurred_before_2000). `where` filters the rows before the
    check (the union reads them twice: for the per-file fingerprints, where only the compared
    columns are read, and for the changed files' rows), so no CTE holds every row's text. -#}
{% macro checked_outcomes(mapped, where='true') -%}
    {%- set columns = event_outcome_columns() -%}
    select
        {% for column in columns -%}
        {% if column == 'outcome' -%}
        case
            when outcome = 'event' and occurred_at >= {{ as_of_instant() }} then 'rejected'
            when outcome = 'event' and occurred_at < cast('2000-01-01' as timestamp) then 'rejected'
            else outcome
        end as outcome
        {%- elif column == 'reason' -%}
        case
            when outcome = 'event' and occurred_at >= {{ as_of_instant() }} then 'occurred_after_as_of'
            when outcome = 'event' and occurred_at < cast('2000-01-01' as timestamp) then 'occurred_before_2000'
            else reason
        end as reason
        {%- else -%}
        {{ column }}
        {%- endif %}{% if not loop.last %},{% endif %}
        {% endfor %}
    from (
        {%- for name in mapped %}
        select {{ columns | join(', ') }}
        from {{ ref(name) }}
        where {{ where }}
        {%- if not loop.last %}
        union all
        {%- endif -%}
        {% endfor %}
    ) as mapped_outcomes
{%- endmacro %}
