#!/usr/bin/env node
// Builds every case of cases.json with twilio-node's VoiceResponse, Twilio's own TwiML library,
// and compares byte for byte with what twiml-redirect writes for the same case (tests/tools/twiml_cases).
// No expected document is typed by hand: twilio-node writes them all.
// Usage: node compare.js CASES.json TWIML_CASES_BINARY NODE_PREFIX   (NODE_PREFIX holds node_modules/twilio)
'use strict';

const {execFileSync} = require('child_process');
const fs = require('fs');
const path = require('path');

const [casesPath, toolPath, prefix] = process.argv.slice(2);
if (!prefix) {
  console.error('usage: node compare.js CASES.json TWIML_CASES_BINARY NODE_PREFIX');
  process.exit(2);
}
const twilioPackage = path.resolve(prefix, 'node_modules', 'twilio');
const VoiceResponse = require(twilioPackage).twiml.VoiceResponse;
const twilioVersion = JSON.parse(fs.readFileSync(path.join(twilioPackage, 'package.json'), 'utf8')).version;

const cases = JSON.parse(fs.readFileSync(casesPath, 'utf8'));
const ours = JSON.parse(execFileSync(toolPath, [casesPath], {encoding: 'utf8'}));

const isSet = (value) => value !== undefined && value !== null;

// What the configuration says a call to `called` gets, the way docs/routing.md describes it: the
// number's own key, else the top-level one, key by key; an action when there are failover steps,
// a referUrl when transfers are allowed; <Reject> for an unknown number when that is configured.
function expectedRouted(c, sipText) {
  const config = c.config;
  const response = new VoiceResponse();
  const number = (config.numbers || []).find((n) => n.phone_number === c.called);
  if (!number && config.routing && config.routing.unknown_numbers === 'reject') {
    response.reject({reason: 'rejected'});
    return response.toString();
  }
  const own = number || {};
  const dialKey = (key) => (own.dial && isSet(own.dial[key]) ? own.dial[key] : (config.dial || {})[key]);
  const failover = isSet(own.failover) ? own.failover : config.failover || [];
  const allow = own.transfer && isSet(own.transfer.allow) ? own.transfer.allow : (config.transfer || {}).allow || [];
  const target = own.sip_target || (config.sip && config.sip.target) || ours.default_sip_target;

  // The Sip URI is the SIP layer's business (its parameters and headers are tested there): it is
  // taken from our answer, after checking that it dials the called number at the route's target
  // and carries the CallSid. Its escaping is still twilio-node's, since it is written again below.
  const expectedStart = `sip:${c.called}@${target}`;
  if (!sipText.startsWith(expectedStart + '?') && !sipText.startsWith(expectedStart + ';') && sipText !== expectedStart)
    throw new Error(`the Sip URI ${sipText} does not start with ${expectedStart}`);
  if (!sipText.includes(ours.call_sid)) throw new Error(`the Sip URI ${sipText} does not carry the CallSid`);

  const attributes = {};  // in the order twiml-redirect writes them (twilio-node keeps the given order)
  if (failover.length > 0) attributes.action = 'dial_action?step=0';
  if (isSet(dialKey('timeout_s'))) attributes.timeout = dialKey('timeout_s');
  if (isSet(dialKey('answer_on_bridge'))) attributes.answerOnBridge = dialKey('answer_on_bridge');
  if (isSet(dialKey('time_limit_s'))) attributes.timeLimit = dialKey('time_limit_s');
  if (isSet(dialKey('record'))) attributes.record = dialKey('record');
  if (isSet(dialKey('ring_tone'))) attributes.ringTone = dialKey('ring_tone');
  if (allow.length > 0) attributes.referUrl = 'refer';
  response.dial(attributes).sip(sipText);
  return response.toString();
}

// The text of <Sip> in our answer, unescaped (the four entities our writer can produce there).
function sipTextOf(twiml) {
  const match = /<Sip>([^<]*)<\/Sip>/.exec(twiml);
  if (!match) return '';
  return match[1].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#xD;/g, '\r').replace(/&amp;/g, '&');
}

function expectedDocument(c) {
  const response = new VoiceResponse();
  for (const verb of c.verbs) {
    const node = response[verb.verb](...(verb.attributes ? [verb.attributes] : []), ...(isSet(verb.text) ? [verb.text] : []));
    for (const noun of verb.nouns || [])
      node[noun.noun](...(noun.attributes ? [noun.attributes] : []), ...(isSet(noun.text) ? [noun.text] : []));
  }
  return response.toString();
}

let failures = 0;
let compared = 0;
function check(kind, spec, ourCase, build) {
  compared += 1;
  let expected;
  try {
    if (!ourCase || ourCase.name !== spec.name) throw new Error('twiml_cases printed no answer for it');
    expected = build(spec, ourCase.twiml);
  } catch (error) {
    failures += 1;
    console.log(`FAIL ${kind}: ${spec.name}: ${error.message}`);
    return;
  }
  if (expected === ourCase.twiml) {
    console.log(`ok   ${kind}: ${spec.name}`);
    return;
  }
  failures += 1;
  console.log(`FAIL ${kind}: ${spec.name}\n  twilio-node: ${JSON.stringify(expected)}\n  ours:        ${JSON.stringify(ourCase.twiml)}`);
}

cases.routed.forEach((spec, i) => check('routed', spec, ours.routed[i], (s, twiml) => expectedRouted(s, sipTextOf(twiml))));
cases.documents.forEach((spec, i) => check('document', spec, ours.documents[i], (s) => expectedDocument(s)));
console.log(`${compared - failures} of ${compared} cases agree with twilio-node ${twilioVersion}`);
process.exit(failures === 0 && compared > 0 ? 0 : 1);
