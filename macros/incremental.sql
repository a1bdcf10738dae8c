{#- When this dbt run started (UTC), as a timestamp: the written_at of every row a model writes
    in this run. Downstream incremental models read it as a watermark ("rows written since the
    run I last consumed"): unlike loaded_at (the run date a line was first read, kept when a row
    is re-judged), it moves whenever a row is (re)written, so a re-judged row is seen again. -#}
{% macro run_written_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}
