{#- Row-level data tests on staging and mapping look at the new slice only: the rows of landed files
    that no successful build has tested yet. A build records the files it tested (file name and
    content hash) and a fingerprint of the project's code and seeds only when every node of a
    complete `dbt build` passed (record_tested_files, on-run-end). The next build's row-level
    tests then skip the rows of those files, as long as
    - the file still has the content that was tested (a file read again is tested again),
    - the code and seeds are the ones that tested it (any change re-tests everything once; no
      fingerprint, no slicing),
    - the build is not a --full-refresh (a full refresh or a backfill tests everything), and
    - the rows of an old file cannot have changed without their file: the model is in the staging
      folder (one row per landed line, a function of that line alone) or is incremental with the
      file as its unique key (old files' rows are not rewritten). A mapping model rebuilt as a
      table (it may join other files) is tested whole.
    Only tests that hold row by row are sliced: not_null, not_null_columns, accepted_values,
    relationships (the child side), and unique_combination when the file is one of its columns.
    When in doubt (no record, another fingerprint, a column missing) the test reads everything. -#}

{%- macro slice_column() -%}{{ return('file_name') }}{%- endmacro -%}

{%- macro tested_files_relation() -%}
    {{ return(api.Relation.create(database=target.database, schema='checks', identifier='tested_files')) }}
{%- endmacro -%}

{#- The code and seeds a build tests with: a hash of the project's files (models, macros, seeds,
    tests, dbt_project.yml) that the nightly job computes (orchestration/defs/dbt/assets.py) and passes
    as CONSENT_LEDGER_CODE_FINGERPRINT. dbt's own node checksums do not cover macros, so without
    it (dbt run by hand, the test suite) no test is sliced. -#}
{%- macro checks_fingerprint() -%}
    {{ return(env_var('CONSENT_LEDGER_CODE_FINGERPRINT', '')) }}
{%- endmacro -%}

{#- The model node a test reads, found by its relation. -#}
{%- macro _slice_model_node(relation) -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and (node.alias or node.name) == relation.identifier
              and node.schema == relation.schema -%}
            {{ return(node) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro -%}

{#- A filter keeping the rows of files not yet tested, or none when the test must read everything. -#}
{%- macro new_slice_filter(relation) -%}
    {%- if not execute or flags.FULL_REFRESH or model is not mapping or model.resource_type != 'test' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if not checks_fingerprint() -%}{{ return(none) }}{%- endif -%}
    {%- set column = slice_column() -%}
    {%- set test = model.test_metadata or {} -%}
    {%- set kwargs = test.kwargs or {} -%}
    {%- if test.name not in ('not_null', 'not_null_columns', 'accepted_values', 'relationships', 'unique_combination')
          or (test.name == 'unique_combination' and column not in (kwargs.columns or [])) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set node = _slice_model_node(relation) -%}
    {%- if node is none -%}{{ return(none) }}{%- endif -%}
    {%- set folders = node.fqn[1:-1] -%}
    {%- set in_staging = folders[:1] == ['staging'] and folders[:2] != ['staging', 'landing'] -%}
    {%- set keyed_by_file = node.config.materialized == 'incremental' and node.config.unique_key == column -%}
    {%- if not (in_staging or keyed_by_file) -%}{{ return(none) }}{%- endif -%}
    {%- set record = adapter.get_relation(database=target.database, schema='checks', identifier='tested_files') -%}
    {%- set lines = adapter.get_relation(database=target.database, schema='staging', identifier='base_landing__lines') -%}
    {%- if record is none or lines is none -%}{{ return(none) }}{%- endif -%}
    {%- if column not in (adapter.get_columns_in_relation(relation) | map(attribute='name') | list) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set filter -%}
        {{ column }} not in (
            select tested.file_name
            from {{ record }} as tested
            inner join {{ lines }} as current_files
                on current_files.file_name = tested.file_name
                and current_files.line_number = 0
                and current_files.content_sha256 = tested.content_sha256
            where tested.fingerprint = '{{ checks_fingerprint() | replace("'", "''") }}'
        )
    {%- endset -%}
    {{ return(filter) }}
{%- endmacro -%}

{#- dbt's own where-subquery (the `where` config), plus the new-slice filter. -#}
{%- macro default__get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}{%- do conditions.append('(' ~ where ~ ')') -%}{%- endif -%}
    {%- set slice = new_slice_filter(relation) -%}
    {%- if slice -%}{%- do conditions.append('(' ~ slice ~ ')') -%}{%- endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ conditions | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro -%}

{#- on-run-end: after a complete `dbt build` in which every node passed, the landed files as they
    are now were all tested with this code; record them (replacing the earlier record). A partial
    build (--select, --exclude, tests left out) or any failure leaves the record as it was, so
    the next build tests those rows again. -#}
{%- macro record_tested_files(results) -%}
    {%- if not execute or flags.WHICH != 'build' or not checks_fingerprint() -%}{{ return('select 1') }}{%- endif -%}
    {%- set args = invocation_args_dict -%}
    {#- dagster-dbt selects every asset as `--select fqn:*`: that is a complete build -#}
    {%- set partial_select = (args.get('select') or []) | reject('in', ['fqn:*', '*']) | list -%}
    {#- leaving out the unit tests (they check SQL, not rows) still builds and tests every row -#}
    {%- set partial_exclude = (args.get('exclude') or []) | reject('in', ['resource_type:unit_test']) | list -%}
    {%- if partial_select or partial_exclude or args.get('selector')
          or 'test' in (args.get('exclude_resource_types') or [])
          or (args.get('resource_types') and 'test' not in args.get('resource_types')) -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- for result in results -%}
        {%- if result.status not in ('success', 'pass', 'warn') -%}{{ return('select 1') }}{%- endif -%}
    {%- endfor -%}
    {%- set lines = adapter.get_relation(database=target.database, schema='staging', identifier='base_landing__lines') -%}
    {%- if lines is none -%}{{ return('select 1') }}{%- endif -%}
    create schema if not exists {{ target.database }}.checks;
    create or replace table {{ tested_files_relation() }} as
    select file_name, content_sha256, '{{ checks_fingerprint() | replace("'", "''") }}' as fingerprint
    from {{ lines }}
    where line_number = 0 and content_sha256 is not null
{%- endmacro -%}
