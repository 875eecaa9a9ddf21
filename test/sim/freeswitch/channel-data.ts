/**
 * The channel data FreeSWITCH puts in an outbound socket's `connect` reply
 * and in every event of the call: ~120 headers, URL-encoded on the wire.
 */
import type { HeaderValue } from "./wire.js";

export interface SimChannel {
  callId: string;
  secretaryId: string | undefined;
  domainId: string;
  domainName: string;
  callerNumber: string;
  /** Text, or raw bytes (a trunk's latin1 name is not valid UTF-8). */
  callerName: HeaderValue;
  destination: string;
  context: string;
}

/** The full header list of the channel (about 120 entries). */
export function channelHeaders(c: SimChannel, state = "CS_EXECUTE"): [string, HeaderValue][] {
  const headers: [string, HeaderValue][] = [
    ["Channel-State", state],
    ["Channel-Call-State", "ACTIVE"],
    ["Channel-Name", `sofia/internal/${c.callerNumber}@${c.domainName}`],
    ["Unique-ID", c.callId],
    ["Call-Direction", "inbound"],
    ["Presence-Call-Direction", "inbound"],
    ["Channel-HIT-Dialplan", "true"],
    ["Answer-State", "answered"],
    ["Caller-Direction", "inbound"],
    ["Caller-Logical-Direction", "inbound"],
    ["Caller-Username", c.callerNumber],
    ["Caller-Dialplan", "XML"],
    ["Caller-Caller-ID-Name", c.callerName],
    ["Caller-Caller-ID-Number", c.callerNumber],
    ["Caller-Orig-Caller-ID-Name", c.callerName],
    ["Caller-Orig-Caller-ID-Number", c.callerNumber],
    ["Caller-Network-Addr", "203.0.113.7"],
    ["Caller-ANI", c.callerNumber],
    ["Caller-Destination-Number", c.destination],
    ["Caller-Unique-ID", c.callId],
    ["Caller-Source", "mod_sofia"],
    ["Caller-Context", c.context],
    ["Caller-Channel-Name", `sofia/internal/${c.callerNumber}@${c.domainName}`],
    ["Caller-Profile-Index", "1"],
    ["Caller-Profile-Created-Time", "1763700000000000"],
    ["Caller-Channel-Created-Time", "1763700000000000"],
    ["Caller-Channel-Answered-Time", "1763700000200000"],
    ["variable_direction", "inbound"],
    ["variable_uuid", c.callId],
    ["variable_session_id", "42"],
    ["variable_sip_from_user", c.callerNumber],
    ["variable_sip_from_host", c.domainName],
    ["variable_sip_to_user", c.destination],
    ["variable_sip_req_uri", `${c.destination}@${c.domainName}`],
    ["variable_sip_contact_user", c.callerNumber],
    ["variable_sip_via_protocol", "udp"],
    ["variable_sip_user_agent", "Trunk/1.0 \"quoted\" ${not_expanded}"],
    ["variable_switch_r_sdp", "v=0\r\no=- 1 1 IN IP4 203.0.113.7\r\ns=-\r\nc=IN IP4 203.0.113.7\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 8 101\r\n"],
    ["variable_rtp_use_codec_name", "PCMU"],
    ["variable_rtp_use_codec_rate", "8000"],
    ["variable_rtp_use_codec_ptime", "20"],
    ["variable_read_codec", "PCMU"],
    ["variable_write_codec", "PCMU"],
    ["variable_call_direction", "inbound"],
    ["variable_domain_uuid", c.domainId],
    ["variable_domain_name", c.domainName],
    ["variable_user_context", c.context],
    ["variable_timezone", "America/Sao_Paulo"],
    ["variable_default_language", "pt"],
    ["variable_VOICE_AI_DOMAIN_UUID", c.domainId],
    ["variable_STREAM_HEART_BEAT", "10"],
    ["variable_STREAM_MESSAGE_DEFLATE", "true"],
    ["variable_STREAM_BUFFER_SIZE", "60"],
    ["variable_api_on_answer", `uuid_audio_stream ${c.callId} start ws://127.0.0.1:8085/stream/${c.secretaryId}/${c.callId}/${c.callerNumber} mono 16k`],
    ["variable_current_application", "socket"],
    ["variable_current_application_data", "127.0.0.1:8022 async full"],
  ];
  if (c.secretaryId) headers.push(["variable_VOICE_AI_SECRETARY_UUID", c.secretaryId]);
  // The long tail every real channel carries.
  for (let i = 0; headers.length < 120; i++) headers.push([`variable_sip_h_X-Trunk-Info-${i}`, `value ${i}; with=spaces & symbols %`]);
  return headers;
}
