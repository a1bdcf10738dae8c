{#- The run date (`as_of`) and the instant status is resolved at: the end of that day, UTC.

    The orchestrator passes the run date in the environment (CONSENT_LEDGER_AS_OF), read only
    when SQL is compiled for execution (`execute`), never while parsing: dbt then never records
    the variable against the files that call this macro, so a new date each night keeps the saved
    parse valid (a `--vars` value or a parse-time env_var would force re-parsing). A dbt var
    `as_of` still wins (unit tests set it with `overrides: vars`); with neither, a hand-run
    `dbt build` uses today. The value is inlined as a date literal, so engines prune on it. -#}
{% macro as_of_date() -%}
    {%- set value = var('as_of', none) -%}
    {%- if value is none and not execute -%}{%- set value = '1970-01-01' -%}{%- endif -%}
    {%- if value is none -%}{%- set value = env_var('CONSENT_LEDGER_AS_OF', '') -%}{%- endif -%}
    {%- if value == '' -%}{%- set value = run_started_at.strftime('%Y-%m-%d') -%}{%- endif -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', value | string) -%}
        {{ exceptions.raise_compiler_error("as_of must be a date YYYY-MM-DD, got: " ~ value) }}
    {%- endif -%}
    cast('{{ value }}' as date)
{%- endmacro %}

{% macro as_of_instant() -%}
    cast({{ dbt.dateadd('day', 1, as_of_date()) }} as timestamp)
{%- endmacro %}
