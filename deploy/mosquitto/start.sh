#!/bin/sh
# The bridge's account from MQTT_BRIDGE_PASSWORD, added to the password file the devices' accounts are kept in
# (docs/deployment.md: adding a device), then the broker.
set -eu
: "${MQTT_BRIDGE_PASSWORD:?set MQTT_BRIDGE_PASSWORD}"
passwd=/mosquitto/data/passwd
touch "$passwd"
mosquitto_passwd -b "$passwd" jingwu-bridge "$MQTT_BRIDGE_PASSWORD"
chown mosquitto:mosquitto "$passwd"
chmod 0700 "$passwd"
exec mosquitto -c /mosquitto/config/mosquitto.conf
