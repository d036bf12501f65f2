#!/bin/sh
# Build the national DCW network with municipalities and ports, then compare the crackdown
# with the baseline. Run from the project root; reads ../shared/data/mexico.
set -e
DATA=${RETEN_DATA:-../shared/data/mexico}
OUT=out/mexico_national
RETEN=${RETEN:-.venv/bin/reten}
$RETEN network build --lines "$DATA/MEX_roads.shp" --snap-m 50 --largest-component \
    --regions "$DATA/mx_admin_2020.gpkg" --regions-layer municipios --regions-code CVEGEO \
    --ports "$DATA/us_mexico_land_ports_bts.csv" --terminal-max-km 50 \
    -o "$OUT/network"
$RETEN run examples/mexico_national/baseline.toml -o "$OUT/baseline"
$RETEN compare examples/mexico_national/baseline.toml examples/mexico_national/crackdown.toml \
    -o "$OUT/compare"
# predictions against observations: route exposure by state vs state homicide rates
$RETEN validate "$OUT/baseline" --observed "$DATA/mexico-state-month-homicide-rates-2000-2022.csv" \
    --region-col cve_ent --value-col homicide_rate --level state --where "year >= 2015" \
    -o "$OUT/validation"
# Dell's test: the comparison's predicted CHANGES against observed changes in homicides by
# municipality (INEGI death records), after (2007 on) minus before the crackdowns
$RETEN validate "$OUT/compare" --observed "$DATA/inegi_homicides_municipal_1990_2015.csv" \
    --region-col cvegeo --value-col homicides --level municipality \
    --where "year >= 2001" --change "year >= 2007" --baseline "year < 2007" \
    -o "$OUT/validation_change"
