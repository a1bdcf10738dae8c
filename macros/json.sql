{#- Parse a landed JSON line once, then pick its fields (issue 9: parse once).

    Staging used to call json_text(doc, path) once per column, and each call parses the whole
    line again: a line with 15 fields was parsed 17 times. Instead a staging model lists the
    paths it reads, extracts them all in one call into one column (json_texts / json_kinds), and
    picks each field from that column by path (json_text_at / json_kind_at). Results are those
    of json_text and json_kind (macros/parsing.sql): same text, same trimming, same kinds.

    DuckDB extracts many paths with one parse when given a list of paths. Another engine
    implements the same four macros (Spark: from_json into a struct of strings, or json_tuple
    for top-level fields, and element_at to pick). -#}

{#- Text of every path, in the order given (JSON null and absent give null). -#}
{% macro json_texts(doc, paths) -%}
    {{ return(adapter.dispatch('json_texts', 'consent_ledger')(doc, paths)) }}
{%- endmacro %}
{% macro duckdb__json_texts(doc, paths) -%}
    json_extract_string({{ doc }}, [{{ _json_path_list(paths) }}])
{%- endmacro %}

{#- JSON type of every path ('VARCHAR', 'ARRAY', 'NULL', ...; null when absent). -#}
{% macro json_kinds(doc, paths) -%}
    {{ return(adapter.dispatch('json_kinds', 'consent_ledger')(doc, paths)) }}
{%- endmacro %}
{% macro duckdb__json_kinds(doc, paths) -%}
    json_type({{ doc }}, [{{ _json_path_list(paths) }}])
{%- endmacro %}

{#- One field from json_texts, as json_text gives it: trimmed, empty is null. -#}
{% macro json_text_at(texts, paths, path) -%}
    nullif(trim({{ json_pick(texts, paths, path) }}), '')
{%- endmacro %}

{#- One field's JSON type from json_kinds, as json_kind gives it. -#}
{% macro json_kind_at(kinds, paths, path) -%}
    {{ json_pick(kinds, paths, path) }}
{%- endmacro %}

{#- The element of a json_texts/json_kinds list for `path`; a path that was not extracted is a
    compile error, not a silent null. -#}
{% macro json_pick(values, paths, path) -%}
    {%- if path not in paths -%}
        {{ exceptions.raise_compiler_error("json path " ~ path ~ " was not extracted; add it to the list") }}
    {%- endif -%}
    {{ return(adapter.dispatch('json_pick', 'consent_ledger')(values, paths.index(path) + 1)) }}
{%- endmacro %}
{% macro duckdb__json_pick(values, position) -%}
    {{ values }}[{{ position }}]
{%- endmacro %}

{% macro _json_path_list(paths) -%}
    {%- for path in paths -%}'{{ path | replace("'", "''") }}'{{ ", " if not loop.last }}{%- endfor -%}
{%- endmacro %}
