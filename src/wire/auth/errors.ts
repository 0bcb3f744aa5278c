// The errors of authentication, worded as AWS words them so that scripts written against the
// real service recognise them, each with the x-amzn-errortype that the SDKs turn into the
// error's name (err.name in JavaScript, Error.Code in botocore). All are 403, as AWS answers
// them for this service. What to do next is added where AWS's own wording gives no hint.
import { ServiceError } from '../../operations/errors.js';

/** No Authorization header at all. */
export function missingAuthenticationToken(): ServiceError {
  return new ServiceError('MissingAuthenticationTokenException', 403, 'Missing Authentication Token. This server runs in sigv4 mode: sign requests with an access key it knows (any AWS SDK or CLI does, given AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY).');
}

/** An access key ID that the credentials file does not hold. */
export function unrecognizedClient(): ServiceError {
  return new ServiceError('UnrecognizedClientException', 403, 'The security token included in the request is invalid.');
}

/** A signature that does not match, is out of date, or covers the wrong thing. */
export function invalidSignature(message: string): ServiceError {
  return new ServiceError('InvalidSignatureException', 403, message);
}

export const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/** An Authorization header that lacks a part SigV4 needs (AWS: IncompleteSignatureException). */
export function incompleteSignature(message: string): ServiceError {
  return new ServiceError('IncompleteSignatureException', 403, message);
}
