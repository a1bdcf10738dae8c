{#- The run date (`as_of`, a dbt var set by the Dagster partition) and the instant status is
    resolved at: the end of that day, UTC. Without the var, a hand-run `dbt build` uses today. -#}
{% macro as_of_date() -%}
    {%- set value = var('as_of', none) -%}
    {%- if value is none -%}{%- set value = run_started_at.strftime('%Y-%m-%d') -%}{%- endif -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', value | string) -%}
        {{ exceptions.raise_compiler_error("var as_of must be a date YYYY-MM-DD, got: " ~ value) }}
    {%- endif -%}
    cast('{{ value }}' as date)
{%- endmacro %}

{% macro as_of_instant() -%}
    cast({{ dbt.dateadd('day', 1, as_of_date()) }} as timestamp)
{%- endmacro %}
