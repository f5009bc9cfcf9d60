// Shared by our nodes' editors. Node-RED serves a node package's resources/ folder, and each
// node's editor page loads this file from it (resources/@stream-ml/node-red/learner-editor.js)
// before its own script; the guard keeps one copy when the editor loads it for every node.
window.StreamMLEditor =
  window.StreamMLEditor ||
  (function () {
    'use strict';

    function wholeNumber(min, blankAllowed, max) {
      return function (value) {
        if (value === undefined || value === null || String(value).trim() === '') return blankAllowed;
        var n = Number(value);
        return Number.isInteger(n) && n >= min && (max === undefined || n <= max);
      };
    }

    function nonNegativeNumber(value) {
      if (value === undefined || value === null || String(value).trim() === '') return true;
      var n = Number(value);
      return Number.isFinite(n) && n >= 0;
    }

    // Names no feature may have (lib/samples.ts FORBIDDEN_NAMES): they reach an object's
    // prototype or shadow one of its methods.
    var FORBIDDEN_NAMES = ['prototype'].concat(Object.getOwnPropertyNames(Object.prototype));

    // Blank settings are valid: the runtime gives each its default (flows written by hand, or
    // imported from an older version, may leave any of them out).
    function featureList(value) {
      var names = String(value || '')
        .split(',')
        .map(function (name) {
          return name.trim();
        })
        .filter(function (name) {
          return name.length > 0;
        });
      return (
        names.every(function (name) {
          return FORBIDDEN_NAMES.indexOf(name) === -1;
        }) && new Set(names).size === names.length
      );
    }

    /** Text that can be MQTT topic levels (`many`) or one level: no wildcards. */
    function topicLevel(many) {
      return function (value) {
        if (value === undefined || value === null || String(value).trim() === '') return true;
        var text = String(value).trim();
        if (/[+#]/.test(text)) return false;
        return many ? !/^\/|\/$|\/\//.test(text) : text.indexOf('/') === -1;
      };
    }

    function blank(value) {
      return value === undefined || value === null || String(value).trim() === '';
    }

    /**
     * A msg property typedInput, which may be left empty (empty: the runtime's default, or not
     * used). Without its own validator the editor checks the typedInput, which rejects an empty
     * expression, so a node opened and closed unchanged would turn invalid.
     */
    function optionalProperty(value, opt) {
      return blank(value) || RED.utils.validatePropertyExpression(String(value), opt);
    }

    /**
     * Defaults of the settings every learner has; the runtime gives each the same default when blank.
     * @param maxDimension the largest maxDimension the runtime accepts for the node (MAX_DIMENSION_SETTING).
     */
    function learnerDefaults(maxDimension) {
      return {
        name: { value: '' },
        property: { value: 'payload', validate: optionalProperty },
        features: { value: '', validate: featureList },
        keyProperty: { value: '', validate: optionalProperty },
        learning: { value: 'continuous' },
        warmupSamples: { value: '', validate: wholeNumber(1, true) },
        whileWarmingUp: { value: 'drop' },
        halfLife: { value: 0, validate: nonNegativeNumber },
        maxKeys: { value: 1000, validate: wholeNumber(1, true) },
        maxDimension: { value: '', validate: wholeNumber(1, true, maxDimension || 100000) },
        store: { value: '' },
        instance: { value: '', validate: topicLevel(false) },
        shareEvery: { value: 0, validate: nonNegativeNumber },
        sharePrefix: { value: 'stream-ml/models', validate: topicLevel(true) },
        peerExpiry: { value: 0, validate: nonNegativeNumber },
        receiveShares: { value: false },
      };
    }

    /** The credential every learner has: the fleet's shared secret that signs shares. */
    function learnerCredentials() {
      return { shareSecret: { type: 'password' } };
    }

    /** Sets up the shared form rows; call from oneditprepare. */
    function prepareLearner(node) {
      // A node the server has not seen yet comes without `has_shareSecret`: the editor would then
      // take the empty secret field for a change, and mark a node opened and closed as changed.
      var credentials = node.credentials || (node.credentials = {});
      if (credentials.has_shareSecret === undefined && !credentials.shareSecret) {
        credentials.has_shareSecret = false;
      }
      $('#node-input-property').typedInput({ default: 'msg', types: ['msg'] });
      $('#node-input-keyProperty').typedInput({ default: 'msg', types: ['msg'] });
      var stores = (RED.settings.context && RED.settings.context.stores) || [];
      var select = $('#node-input-store');
      select.append(
        $('<option></option>')
          .val('')
          .text(node._(node.type + '.store.default')),
      );
      stores.forEach(function (store) {
        select.append($('<option></option>').val(store).text(store));
      });
      if (node.store && stores.indexOf(node.store) === -1) {
        select.append($('<option></option>').val(node.store).text(node.store));
      }
      select.val(node.store || '');
      var warmupRow = $('#node-input-whileWarmingUp').closest('.form-row');
      $('#node-input-learning')
        .on('change', function () {
          warmupRow.toggle($(this).val() !== 'off');
        })
        .trigger('change');
    }

    /** The palette label: the node's name, or `fallback` with the key property when set. */
    function label(node, fallback) {
      if (node.name) return node.name;
      return node.keyProperty ? fallback + ' per ' + node.keyProperty : fallback;
    }

    return {
      learnerDefaults: learnerDefaults,
      learnerCredentials: learnerCredentials,
      prepareLearner: prepareLearner,
      wholeNumber: wholeNumber,
      blank: blank,
      optionalProperty: optionalProperty,
      label: label,
      forbiddenNames: FORBIDDEN_NAMES,
    };
  })();
